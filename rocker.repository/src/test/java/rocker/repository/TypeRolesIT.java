package rocker.repository;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Opcodes;

import aQute.bnd.header.Parameters;

/**
 * Every public type of an exported package of Rocker's bundles says its role for semantic versioning,
 * {@code @ProviderType} or {@code @ConsumerType}, nested types included: the baseline (bnd) reads it to tell a
 * minor change from a major one, so a type without it would be judged as if consumers implemented it.
 */
public class TypeRolesIT {
    private static final Set<String> ROLES = Set.of("Lorg/osgi/annotation/versioning/ProviderType;",
            "Lorg/osgi/annotation/versioning/ConsumerType;");

    @Test
    public void everyExportedTypeHasARole() throws Exception {
        List<String> checked = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Path jar : jars()) {
            try (JarFile j = new JarFile(jar.toFile())) {
                Set<String> exported = new Parameters(j.getManifest().getMainAttributes().getValue("Export-Package")).keySet();
                for (JarEntry e : java.util.Collections.list(j.entries())) {
                    String name = e.getName();
                    if (!name.endsWith(".class") || name.endsWith("package-info.class") || name.startsWith("META-INF/")) {
                        continue;
                    }
                    String pkg = name.substring(0, name.lastIndexOf('/')).replace('/', '.');
                    if (!exported.contains(pkg)) {
                        continue;
                    }
                    boolean[] publicType = {false};
                    boolean[] role = {false};
                    try (InputStream in = j.getInputStream(e)) {
                        new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
                            @Override
                            public void visit(int version, int access, String n, String sig, String sup, String[] itf) {
                                publicType[0] = (access & Opcodes.ACC_PUBLIC) != 0 && (access & Opcodes.ACC_SYNTHETIC) == 0;
                            }

                            @Override
                            public AnnotationVisitor visitAnnotation(String desc, boolean visible) {
                                role[0] |= ROLES.contains(desc);
                                return null;
                            }
                        }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
                    }
                    if (publicType[0]) {
                        checked.add(name);
                        if (!role[0]) {
                            missing.add(jar.getFileName() + "!/" + name);
                        }
                    }
                }
            }
        }
        assertTrue("the exported types of rocker.api, rocker.client and rocker.server: " + checked, checked.size() > 20);
        System.out.println("type roles: " + checked.size() + " exported public types, each @ProviderType or @ConsumerType");
        assertEquals("exported public types without @ProviderType or @ConsumerType", List.of(), missing);
    }

    /** The jars of the bundles that export packages (file URLs in the index: this build's). */
    private static List<Path> jars() throws Exception {
        String xml = Files.readString(Path.of(System.getProperty("rocker.repository.index")));
        List<Path> out = new ArrayList<>();
        Matcher m = Pattern.compile("<attribute name=\"url\" value=\"([^\"]+)\"").matcher(xml);
        while (m.find()) {
            if (m.group(1).matches(".*/rocker\\.(api|client|server)-[^/]*\\.jar")) {
                out.add(Path.of(java.net.URI.create(m.group(1))));
            }
        }
        assertEquals("rocker.api, rocker.client and rocker.server in the index: " + out, 3, out.size());
        return out;
    }
}
