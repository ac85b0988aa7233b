package rocker.impl.linux;

import java.util.Map;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * Posts the engine's events on an EventAdmin. The only class of the bundle that names
 * {@code org.osgi.service.event}: it is loaded only once an EventAdmin service is there
 * ({@link EventAdminEvents}), and the bundle imports the package dynamically, so a framework without
 * EventAdmin resolves and runs the engine without events (and needs no EventAdmin to resolve).
 */
final class EventAdminSink implements EngineEvents {
    private final EventAdmin admin;

    EventAdminSink(Object admin) {
        this.admin = (EventAdmin) admin;
    }

    @Override
    public void post(String topic, Map<String, Object> properties) {
        admin.postEvent(new Event(topic, properties));
    }
}
