package rocker.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.Test;

/**
 * RemoteRockerClient needs no OSGi class: made and used in a class loader that has this test's class
 * path without any org.osgi jar (the annotations included), it answers as it does anywhere.
 */
public class PlainClassPathTest {
    @Test
    public void worksWithoutAnyOsgiClass() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.contains(File.separator + "org" + File.separator + "osgi" + File.separator)) {
                urls.add(Path.of(e).toUri().toURL());
            }
        }
        try (URLClassLoader plain = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
            try {
                plain.loadClass("org.osgi.annotation.versioning.Version");
                fail("the class path still has the OSGi annotations");
            } catch (ClassNotFoundException expected) {
                // as wanted
            }
            Class<?> type = plain.loadClass(RemoteRockerClient.class.getName());
            assertTrue(type != RemoteRockerClient.class);
            Object client = type.getConstructor(String.class).newInstance("/nonexistent/rocker.sock");
            Object result = type.getMethod("getGuardName", int.class).invoke(client, 1);
            assertEquals(plain.loadClass("rocker.api.RockerResult"), result.getClass());
            assertTrue(result.toString(), result.toString().startsWith("RockerResult[server_unaddr_invalid"));
            try {
                type.getMethod("list").invoke(client);
                fail("no server");
            } catch (InvocationTargetException e) {
                assertEquals("rocker.api.RockerException", e.getCause().getClass().getName());
            }
            type.getMethod("close").invoke(client);
        }
    }
}
