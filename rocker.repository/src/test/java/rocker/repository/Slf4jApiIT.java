package rocker.repository;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Rocker's bundles import org.slf4j [1.7,3): every SLF4J method their classes call exists in slf4j-api 1.7.36
 * (the bytecode of every Rocker bundle in the index, against the 1.7.36 jar itself), so the range is true
 * and not only declared. examples/consumer runs them on 1.7.36 as well.
 */
public class Slf4jApiIT {
    @Test
    public void everySlf4jCallOfTheBundlesExistsIn17() throws Exception {
        Path api17 = Path.of(System.getProperty("rocker.repository.slf4j17"));
        assertTrue(api17 + " exists", Files.isRegularFile(api17));
        List<Path> jars = rockerJars();
        assertFalse("the index lists Rocker's jars", jars.isEmpty());

        Set<String> calls = new TreeSet<>();
        for (Path jar : jars) {
            try (JarFile j = new JarFile(jar.toFile())) {
                for (JarEntry e : java.util.Collections.list(j.entries())) {
                    if (!e.getName().endsWith(".class") || e.getName().startsWith("META-INF/")) {
                        continue;
                    }
                    try (InputStream in = j.getInputStream(e)) {
                        new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
                            @Override
                            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                                return new MethodVisitor(Opcodes.ASM9) {
                                    @Override
                                    public void visitMethodInsn(int op, String owner, String m, String d, boolean itf) {
                                        if (owner.startsWith("org/slf4j/")) {
                                            calls.add(owner + " " + m + d);
                                        }
                                    }
                                };
                            }
                        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
                    }
                }
            }
        }
        assertTrue("the engine, the server and the CLI log: " + calls, calls.size() > 3);

        List<String> missing = new ArrayList<>();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {api17.toUri().toURL()}, null)) {
            for (String call : calls) {
                String[] parts = call.split(" ");
                Class<?> owner = loader.loadClass(parts[0].replace('/', '.'));
                String name = parts[1].substring(0, parts[1].indexOf('('));
                String desc = parts[1].substring(parts[1].indexOf('('));
                if (!has(owner, name, desc)) {
                    missing.add(call);
                }
            }
        }
        System.out.println("slf4j: " + calls.size() + " distinct calls in " + jars.size() + " Rocker jars, all in 1.7.36: " + calls);
        assertEquals("SLF4J calls that slf4j-api 1.7.36 lacks", List.of(), missing);
    }

    private static boolean has(Class<?> c, String name, String desc) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals(name) && Type.getMethodDescriptor(m).equals(desc)) {
                    return true;
                }
            }
            for (Class<?> i : k.getInterfaces()) {
                if (has(i, name, desc)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The jars of org.rocker bundles in the index (file URLs: this build's). */
    private static List<Path> rockerJars() throws Exception {
        String xml = Files.readString(Path.of(System.getProperty("rocker.repository.index")));
        List<Path> out = new ArrayList<>();
        Matcher m = Pattern.compile("<attribute name=\"url\" value=\"([^\"]+)\"").matcher(xml);
        while (m.find()) {
            String url = m.group(1);
            if (url.matches(".*/rocker\\.(api|client|impl\\.linux|server|cli)-[^/]*\\.jar")) {
                out.add(Path.of(java.net.URI.create(url)));
            }
        }
        return out;
    }
}
