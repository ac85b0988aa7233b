package rocker.impl.linux;

import java.util.Map;

/**
 * Where the engine's lifecycle events go ({@link rocker.api.RockerEvents}): an {@link EventAdminSink}
 * for each EventAdmin there ({@link EventAdminEvents}). Called on the engine's threads; an
 * implementation must not block.
 */
interface EngineEvents {
    void post(String topic, Map<String, Object> properties);
}
