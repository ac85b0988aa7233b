package rocker.impl.linux;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import java.util.HexFormat;

import org.osgi.framework.Bundle;

import rocker.api.RockerError;
import rocker.api.RockerException;

/**
 * Finds the rocker-guard executable: a configured path, else the one in this platform's native
 * fragment, copied out once into {@code <state dir>/bin/} under a name that carries its digest
 * (so an updated fragment never overwrites a guard that running rockers were started from).
 */
final class GuardBinary {
    private GuardBinary() {
    }

    static String locate(String configured, Bundle bundle, Path stateDir) {
        if (configured != null && !configured.isBlank()) {
            return checked(Path.of(configured));
        }
        String prop = System.getProperty("rocker.guard");
        if (prop != null && !prop.isBlank()) {
            return checked(Path.of(prop));
        }
        if (bundle == null) {
            throw new RockerException(RockerError.SYS, "no rocker-guard: configure guardPath or set -Drocker.guard");
        }
        Enumeration<URL> found = bundle.findEntries("native", "rocker-guard", true);
        if (found == null || !found.hasMoreElements()) {
            throw new RockerException(RockerError.SYS, "no native fragment with rocker-guard for "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + " is attached to " + bundle.getSymbolicName());
        }
        return extract(found.nextElement(), stateDir.resolve("bin"));
    }

    private static String extract(URL entry, Path binDir) {
        try {
            byte[] bytes;
            try (InputStream in = entry.openStream()) {
                bytes = in.readAllBytes();
            }
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
            Files.createDirectories(binDir);
            Path target = binDir.resolve("rocker-guard-" + digest);
            if (!Files.isRegularFile(target) || Files.size(target) != bytes.length) {
                Path tmp = Files.createTempFile(binDir, ".rocker-guard", ".tmp");
                Files.write(tmp, bytes);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return target.toString();
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new RockerException(RockerError.SYS, "cannot extract rocker-guard to " + binDir + ": " + e, e);
        }
    }

    private static String checked(Path p) {
        if (!Files.isExecutable(p)) {
            throw new RockerException(RockerError.SYS, "rocker-guard '" + p + "' is not an executable file");
        }
        return p.toString();
    }
}
