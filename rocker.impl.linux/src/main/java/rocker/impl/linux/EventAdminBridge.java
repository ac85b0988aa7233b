package rocker.impl.linux;

import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * Posts the engine's events on the EventAdmin. Satisfied only when an EventAdmin service is there; the
 * bundle imports {@code org.osgi.service.event} optionally, and SCR loads this class only once the
 * reference is satisfied, so a framework without EventAdmin runs the engine without events.
 */
@Component(service = EngineEvents.class)
public final class EventAdminBridge implements EngineEvents {
    private final EventAdmin admin;

    @Activate
    public EventAdminBridge(@Reference EventAdmin admin) {
        this.admin = admin;
    }

    @Override
    public void post(String topic, Map<String, Object> properties) {
        admin.postEvent(new Event(topic, properties));
    }
}
