package rocker.client.protocol;

import org.osgi.annotation.versioning.ProviderType;
import rocker.api.RockerRequest;

/** One request a client sends: the {@link rocker.api.RockerClient} operation and its arguments. */
@ProviderType
public sealed interface Call {
    /** {@code enterRocker}. */
    @ProviderType
    record Enter(RockerRequest request, AppSpec app) implements Call { }

    /** {@code getGuardName}. */
    @ProviderType
    record GuardName(int pid) implements Call { }

    /** {@code destroy(String)}. */
    @ProviderType
    record Destroy(String guardName) implements Call { }

    /** {@code destroy(int, String)}. */
    @ProviderType
    record DestroyPid(int guardPid, String expectedName) implements Call { }

    /** {@code list}. */
    @ProviderType
    record ListRockers() implements Call { }

    /** {@code waitForApp}; the timeout is in milliseconds, 0 or more. */
    @ProviderType
    record Wait(String guardName, long timeoutMillis) implements Call { }

    /** {@code stats} (version 2 only). */
    @ProviderType
    record Stats(String guardName) implements Call { }

    /** A rocker without an app, to be entered by the caller (version 2 only; the C library's ROCKER_enter_rocker). */
    @ProviderType
    record Prepare(RockerRequest request) implements Call { }

    /** On a PREPARE's connection: the caller's app runs in the rocker as host pid {@code appPid} (version 2 only). */
    @ProviderType
    record Started(int appPid) implements Call { }

    /** {@code onAppExit}: one EXITED will tell when this rocker's app ends (version 2 only; a watch connection takes many). */
    @ProviderType
    record Watch(String guardName) implements Call { }
}
