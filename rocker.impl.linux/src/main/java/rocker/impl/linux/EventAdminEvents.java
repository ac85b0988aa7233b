package rocker.impl.linux;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks EventAdmin services by name (no class of {@code org.osgi.service.event} is needed to look):
 * each one there gets the engine's lifecycle events through an {@link EventAdminSink}. Not a DS
 * reference, so that resolving the engine bundle never requires an EventAdmin.
 */
final class EventAdminEvents implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventAdminEvents.class);
    static final String EVENT_ADMIN = "org.osgi.service.event.EventAdmin";

    private final ServiceTracker<Object, EngineEvents> tracker;

    EventAdminEvents(BundleContext context, RockerEngine engine) {
        tracker = new ServiceTracker<>(context, EVENT_ADMIN, new ServiceTrackerCustomizer<Object, EngineEvents>() {
            @Override
            public EngineEvents addingService(ServiceReference<Object> ref) {
                Object admin = context.getService(ref);
                if (admin == null) return null;
                try {
                    EngineEvents sink = new EventAdminSink(admin);
                    engine.addEventSink(sink);
                    return sink;
                } catch (LinkageError | ClassCastException e) {
                    // another class space's EventAdmin API than the one this bundle can see
                    LOG.warn("cannot post events on the EventAdmin of bundle {}: {}", ref.getBundle().getSymbolicName(), e.toString());
                    context.ungetService(ref);
                    return null;
                }
            }

            @Override
            public void modifiedService(ServiceReference<Object> ref, EngineEvents sink) {
                // nothing: the same EventAdmin
            }

            @Override
            public void removedService(ServiceReference<Object> ref, EngineEvents sink) {
                engine.removeEventSink(sink);
                context.ungetService(ref);
            }
        });
        tracker.open();
    }

    @Override
    public void close() {
        tracker.close();
    }
}
