package rocker.impl.linux;

import java.util.Map;

/**
 * Where the engine's lifecycle events go ({@link rocker.api.RockerEvents}): a service of this bundle,
 * offered by {@link EventAdminBridge} when an EventAdmin is there. Called on the engine's threads;
 * an implementation must not block.
 */
public interface EngineEvents {
    void post(String topic, Map<String, Object> properties);
}
