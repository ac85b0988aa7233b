package rocker.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

import rocker.api.RockerApp;
import rocker.api.RockerClient;
import rocker.api.RockerError;
import rocker.api.RockerEvents;
import rocker.api.RockerResult;
import rocker.testsupport.Images;
import rocker.testsupport.KernelView;

/**
 * Lifecycle events on the EventAdmin (Felix EventAdmin beside the launcher's bundles) and
 * {@code onAppExit} of the local service and of the remote client through the framework's server; a
 * plain {@code @Reference RockerClient} gets the local engine (ranked higher).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EventsIT {
    @Rule
    public final Rig rig = new Rig();

    @Configuration
    public Option[] config() {
        return options(composite(RockerOptions.framework("EventsIT")), bundle(Path.of(RockerOptions.property("rocker.itest.eventadmin")).toUri().toString()));
    }

    @Test
    public void eventsAndOnAppExitLocallyAndThroughTheServer() throws Exception {
        List<String> told = new CopyOnWriteArrayList<>();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, RockerEvents.TOPIC_PREFIX + "*");
        ServiceRegistration<EventHandler> reg = rig.ctx.registerService(EventHandler.class, (Event e) -> {
            String t = e.getTopic().substring(RockerEvents.TOPIC_PREFIX.length()) + " " + e.getProperty(RockerEvents.GUARD_NAME);
            if (e.getTopic().equals(RockerEvents.APP_EXITED)) t += " " + e.getProperty(RockerEvents.EXIT_STATUS);
            told.add(t);
        }, props);
        try {
            ServiceReference<RockerClient> plain = rig.ctx.getServiceReference(RockerClient.class);
            assertEquals("a plain reference picks the local engine", "local", plain.getProperty("rocker.transport"));

            RockerClient local = rig.local();
            RockerClient remote = rig.remote();
            Path image = Images.build(rig.work, "ev", Map.of("run.sh", "#!/bin/sh\nsleep 0.5\nexit $1\n"));
            RockerResult r = rig.start(local, rig.request(image, "ev", "/var").build(),
                    RockerApp.of("/bin/sh", rig.execDir("ev") + "/run.sh", "3"));
            var viaRemote = remote.onAppExit(r.guardName()).toCompletableFuture();
            var viaLocal = local.onAppExit(r.guardName()).toCompletableFuture();
            assertEquals(Integer.valueOf(3), viaLocal.get(20, TimeUnit.SECONDS));
            assertEquals("told by the server, on its watch connection", Integer.valueOf(3), viaRemote.get(20, TimeUnit.SECONDS));
            assertEquals(RockerError.SUCCESS, local.destroy(r.guardName()).error());
            assertTrue("told " + told, KernelView.eventually(() -> told.size() >= 3));
            assertEquals(List.of("CREATED " + r.guardName(), "APP_EXITED " + r.guardName() + " 3", "DESTROYED " + r.guardName()), told);
        } finally {
            reg.unregister();
        }
    }
}
