package rocker.client.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the remote RockerClient service (PID {@value #PID}); without one there is no such service. */
@ObjectClassDefinition(name = "Rocker remote client",
        description = "A RockerClient service (rocker.transport=remote) that talks to a Rocker server over its Unix socket.")
public @interface RemoteClientConfig {
    String PID = "rocker.remote";

    @AttributeDefinition(name = "Socket path", description = "The server's Unix socket.")
    String socket_path() default "/run/rocker/rocker.sock";

    @AttributeDefinition(name = "Response timeout (ms)", description = "Time the server has to answer one call.", min = "1")
    int response_timeout_ms() default 120000;
}
