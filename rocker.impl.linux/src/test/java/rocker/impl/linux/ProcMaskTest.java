package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;

import rocker.api.RockerApp;
import rocker.api.RockerError;
import rocker.api.RockerRequest;
import rocker.api.RockerResult;
import rocker.testsupport.Images;

/**
 * The rocker's /proc gets the OCI runtime spec's defaults (runc's readonlyPaths and maskedPaths) from
 * the guard, and /dev/mqueue the rocker's own mqueue: what apps (uid 0 without capabilities, uid 1000,
 * root in a user namespace) see and can do, and that the host's sysctls stay untouched. Paths this
 * kernel does not have are expected absent inside too. Nothing here ever writes to sysrq-trigger: its
 * read-only mount is checked in mountinfo.
 */
public class ProcMaskTest {
    private static final List<String> READ_ONLY = List.of("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs");
    private static final List<String> MASKED_FILES = List.of("/proc/kcore", "/proc/keys", "/proc/timer_list",
            "/proc/sched_debug", "/proc/latency_stats", "/proc/timer_stats");
    private static final List<String> MASKED_DIRS = List.of("/proc/acpi", "/proc/asound", "/proc/scsi");
    private static final Path SWAPPINESS = Path.of("/proc/sys/vm/swappiness");

    /** $1: the value it tries to write to vm.swappiness (not the host's). mi PATH: options and type of the top mount on PATH. */
    private static final String PROBE = "#!/bin/sh\n"
            + "mi() { sed -n \"s|^[0-9]* [0-9]* [0-9:]* [^ ]* $1 \\([^ ]*\\).* - \\([^ ]*\\) .*\\$|\\1 \\2|p\" /proc/self/mountinfo | tail -n 1; }\n"
            + "echo \"id: $(id -u)\"\n"
            + "err=$( (echo \"$1\" > /proc/sys/vm/swappiness) 2>&1 )\n"
            + "case \"$err\" in \"\") err=written;; *'Read-only file system'*) err='Read-only file system';; esac\n"
            + "echo \"write /proc/sys/vm/swappiness: $err\"\n"
            + "echo \"read /proc/sys/vm/swappiness: $(cat /proc/sys/vm/swappiness)\"\n"
            + "for p in " + String.join(" ", READ_ONLY) + "; do\n"
            + "  if [ -e $p ]; then echo \"$p: $(mi $p)\"; else echo \"$p: absent\"; fi\n"
            + "done\n"
            + "for p in " + String.join(" ", MASKED_FILES) + "; do\n"
            + "  if [ -e $p ]; then echo \"$p: $(stat -c '%F %t:%T' $p), $(wc -c < $p) bytes\"; else echo \"$p: absent\"; fi\n"
            + "done\n"
            + "for p in " + String.join(" ", MASKED_DIRS) + "; do\n"
            + "  if [ -e $p ]; then echo \"$p: $(mi $p), $(ls -A $p | wc -l) entries\"; else echo \"$p: absent\"; fi\n"
            + "done\n"
            + "touch /proc/acpi/x 2>/dev/null && echo 'touch /proc/acpi/x: done' || echo 'touch /proc/acpi/x: refused'\n"
            + "umount /proc/sys 2>/dev/null && echo 'umount /proc/sys: done' || echo 'umount /proc/sys: refused'\n"
            + "umount /proc/timer_list 2>/dev/null && echo 'umount /proc/timer_list: done' || echo 'umount /proc/timer_list: refused'\n"
            + "if [ -d /dev/mqueue ]; then echo \"/dev/mqueue: $(mi /dev/mqueue), $(ls -A /dev/mqueue | wc -l) entries\"; "
            + "else echo '/dev/mqueue: none'; fi\n"
            + "echo end\n";

    private static final String MQUEUE = "/dev/mqueue: rw,nosuid,nodev,noexec,relatime mqueue, 0 entries";

    @Rule
    public final EngineFixture fx = new EngineFixture();

    /** The host's vm.swappiness, in one read (a sysctl read at a non-zero offset gives nothing, so no Files.readString). */
    static String swappiness() throws IOException {
        try (InputStream in = Files.newInputStream(SWAPPINESS)) {
            return new String(in.readNBytes(64), StandardCharsets.US_ASCII).trim();
        }
    }

    /** What the probe must print, for this kernel's /proc (the rocker's procfs has the same entries). */
    static String expected(int idInside, String hostSwappiness, String mqueueLine) {
        StringBuilder s = new StringBuilder();
        s.append("id: ").append(idInside).append('\n');
        s.append("write /proc/sys/vm/swappiness: Read-only file system\n");
        s.append("read /proc/sys/vm/swappiness: ").append(hostSwappiness).append('\n');
        for (String p : READ_ONLY) {
            s.append(p).append(": ").append(Files.exists(Path.of(p)) ? "ro,nosuid,nodev,noexec,relatime proc" : "absent").append('\n');
        }
        for (String p : MASKED_FILES) {
            s.append(p).append(": ").append(Files.exists(Path.of(p)) ? "character special file 1:3, 0 bytes" : "absent").append('\n');
        }
        for (String p : MASKED_DIRS) {
            s.append(p).append(": ").append(Files.exists(Path.of(p)) ? "ro,nosuid,nodev,noexec,relatime tmpfs, 0 entries" : "absent").append('\n');
        }
        s.append("touch /proc/acpi/x: refused\n");
        s.append("umount /proc/sys: refused\n");
        s.append("umount /proc/timer_list: refused\n");
        s.append(mqueueLine).append('\n');
        s.append("end\n");
        return s.toString();
    }

    /** Runs the probe to its end in a rocker; returns its stdout (DATA/log/stdout.log); the host's swappiness must not change. */
    private String probe(String data, int uid, boolean userNamespace) throws Exception {
        return probe(data, uid, userNamespace, List.of());
    }

    /** {@link #probe(String, int, boolean)} with {@code devices} in the rocker's /dev. */
    String probe(String data, int uid, boolean userNamespace, List<String> devices) throws Exception {
        String host = swappiness();
        String other = host.equals("1") ? "2" : "1";
        Path image = Images.build(fx.work, "procmask", Map.of("probe.sh", PROBE));
        RockerRequest request = fx.request(image, data).uid(uid).gid(uid).userNamespace(userNamespace).devices(devices).build();
        try {
            beforeBuild();
            RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", request.execDir() + "/probe.sh", other));
            assertEquals(r.toString(), RockerError.SUCCESS, r.error());
            assertEquals(0, fx.engine.waitForApp(r.guardName(), Duration.ofSeconds(10)).getAsInt());
            afterBuild(r, devices);
            Path log = fx.work.resolve("data-" + data).resolve("log");
            assertEquals("stderr", "", Files.readString(log.resolve("stderr.log")));
            return Files.readString(log.resolve("stdout.log"));
        } finally {
            String after = swappiness();
            if (!after.equals(host)) Files.writeString(SWAPPINESS, host);
            assertEquals("the host's vm.swappiness is unchanged", host, after);
        }
    }

    /** Before each probe's build (a subclass makes sure of its spares). */
    void beforeBuild() throws Exception {
    }

    /** After each probe's app ended, its rocker still there. */
    void afterBuild(RockerResult r, List<String> devices) throws Exception {
    }

    static String mqueueAsSeen(String out) {
        // /dev/mqueue exists inside only when the rocker's /dev has it (the engine's minimal /dev, or the
        // host's /dev having one); when it does, it is the rocker's own mqueue
        return out.contains("/dev/mqueue: none\n") ? "/dev/mqueue: none" : MQUEUE;
    }

    @Test
    public void uid0WithoutCapabilitiesCannotWriteProcSysAndReadsNothingMasked() throws Exception {
        String host = swappiness();
        String out = probe("root", 0, false);
        assertEquals(expected(0, host, mqueueAsSeen(out)), out);
    }

    @Test
    public void uid1000SeesTheSame() throws Exception {
        String host = swappiness();
        String out = probe("user", 1000, false);
        assertEquals(expected(1000, host, mqueueAsSeen(out)), out);
    }

    @Test
    public void rootInAUserNamespaceCannotUndoTheMasks() throws Exception {
        String host = swappiness();
        String out = probe("userns", 1000, true);
        assertEquals(expected(0, host, mqueueAsSeen(out)), out);
    }

    /**
     * A guard whose /dev has what {@code setup} puts in {@code $U} (e.g. a mqueue dir, as the engine's
     * minimal /dev will): a wrapper makes a mount namespace of its own, a tmpfs there for the upper and
     * work dirs (its own for every guard, spares included), an overlay on /dev (the host's /dev is
     * untouched), and execs the real guard in it.
     */
    private void guardWithDev(String name, String setup) throws Exception {
        Path dir = Files.createDirectories(fx.work.resolve(name));
        Path wrapper = fx.work.resolve(name + "-guard");
        Files.writeString(wrapper, "#!/bin/sh\nexec unshare -m --propagation private sh -c '"
                + "T=$0; U=$T/upper; mount -t tmpfs -o size=64k,mode=0755 tmpfs $T && mkdir $U $T/work && " + setup
                + " && mount -t overlay overlay -o lowerdir=/dev,upperdir=$U,workdir=$T/work /dev && exec \"$@\"' "
                + dir + " " + System.getProperty("rocker.guard") + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        fx.engine.close();
        fx.engine = fx.engine(wrapper::toString, 0);
    }

    /** Also before (or without) the engine's minimal /dev: any /dev with a mqueue dir gets the rocker's own mqueue. */
    @Test
    public void aDevWithMqueueGetsTheRockersOwnMqueue() throws Exception {
        guardWithDev("dev-mqueue", "mkdir $U/mqueue");
        String host = swappiness();
        assertEquals(expected(0, host, MQUEUE), probe("mqueue", 0, false));
        assertEquals(expected(1000, host, MQUEUE), probe("mqueue-user", 1000, false));
    }

    /** Masking files takes the real null device: without it the build fails rather than leave /proc/kcore readable. */
    @Test
    public void aDevNullThatIsNotTheNullDeviceFailsTheBuild() throws Exception {
        guardWithDev("dev-fake-null", "echo not-the-null-device > $U/null");
        Path image = Images.build(fx.work, "procmask", Map.of("probe.sh", PROBE));
        RockerRequest request = fx.request(image, "fake-null").uid(0).gid(0).build();
        RockerResult r = fx.engine.enterRocker(request, RockerApp.of("/bin/sh", request.execDir() + "/probe.sh", "1"));
        assertEquals(r.toString(), RockerError.BUILD_ROCKER_FAILED, r.error());
        // the engine's /dev binds the /dev/null it finds; should it ever refuse a fake one itself, the
        // guard's check is not reached (the build fails all the same, before any app runs)
        if (!r.message().contains("build the rocker's /dev")) {
            assertTrue(r.message(), r.message().contains("could not " + GuardStep.PROC_NULL.text + ": errno 19 (No such device)"));
        }
        assertEquals("", r.guardName());
        assertTrue(fx.engine.list().isEmpty());
    }
}
