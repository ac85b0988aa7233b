package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.tracker.ServiceTracker;

import rocker.testsupport.KernelView;

/**
 * rocker.server installed and started in the launcher's bundle set, without a configuration of PID
 * rocker.server: its component is not even created, it registers no ServerStatus and binds no socket.
 * Once configured it listens on the configured socket; when the configuration goes, so does the socket.
 * (Before the split the server bound /run/rocker/rocker.sock in any framework it was started in.)
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UnconfiguredServerIT {
    private static final String STATUS = "(objectClass=rocker.server.ServerStatus)";

    @Configuration
    public Option[] config() {
        return RockerOptions.framework("UnconfiguredServerIT");
    }

    @Test
    public void theServerBindsNothingUntilItIsConfigured() throws Exception {
        BundleContext ctx = FrameworkUtil.getBundle(UnconfiguredServerIT.class).getBundleContext();
        Bundle server = null;
        for (Bundle b : ctx.getBundles()) {
            if ("rocker.server".equals(b.getSymbolicName())) {
                server = b;
            }
        }
        assertNotNull(server);
        assertEquals("started with the framework", Bundle.ACTIVE, server.getState());
        ServiceTracker<ServiceComponentRuntime, ServiceComponentRuntime> scrTracker = new ServiceTracker<>(ctx, ServiceComponentRuntime.class, null);
        scrTracker.open();
        ServiceComponentRuntime scr = scrTracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(scr);
        ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(server, "rocker.server");
        assertNotNull(d);
        assertEquals("require", d.configurationPolicy);
        assertTrue("no configuration: no component", scr.getComponentConfigurationDTOs(d).isEmpty());
        assertNull("no ServerStatus", ctx.getServiceReferences((String) null, STATUS));
        Set<String> listening = Sockets.listeningUnix();
        assertEquals("no listening socket in this JVM: " + listening, Set.of(), listening);

        // configured: it listens there
        Path state = Path.of(RockerOptions.property("rocker.itest.target"), "itest-state", "UnconfiguredServerIT");
        Path socket = state.resolve("rocker.sock");
        ConfigurationAdmin cm = ctx.getService(ctx.getServiceReference(ConfigurationAdmin.class));
        org.osgi.service.cm.Configuration c = cm.getConfiguration("rocker.server", "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("socket.path", socket.toString());
        props.put("state.dir", state.toString());
        c.update(props);
        ServiceTracker<Object, Object> status = new ServiceTracker<>(ctx, ctx.createFilter(STATUS), null);
        status.open();
        try {
            assertNotNull("a ServerStatus once configured", status.waitForService(TimeUnit.SECONDS.toMillis(30)));
            assertTrue("the socket is there", KernelView.eventually(() -> Files.exists(socket)));
            assertEquals("one listening socket", 1, Sockets.listeningUnix().size());
        } finally {
            status.close();
            c.delete();
        }
        // the configuration is gone: so are the socket and the status
        assertTrue("the socket is removed", KernelView.eventually(() -> !Files.exists(socket)));
        assertTrue(KernelView.eventually(() -> ctx.getServiceReferences((String) null, STATUS) == null));
        assertEquals(new HashSet<>(), new HashSet<>(Sockets.listeningUnix()));
        assertFalse(Files.exists(socket));
        scrTracker.close();
    }
}
