package rocker.server;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the Rocker server (PID {@value #PID}); property names use dots, e.g. {@code socket.path}. */
@ObjectClassDefinition(name = "Rocker server",
        description = "The Unix-socket server that builds rockers for local clients, authorized by SO_PEERCRED.")
public @interface ServerConfig {
    String PID = "rocker.server";

    @AttributeDefinition(name = "Socket path", description = "The Unix socket to listen on (at most 107 bytes).")
    String socket_path() default "/run/rocker/rocker.sock";

    @AttributeDefinition(name = "Socket mode", description = "Octal permission bits of the socket file; clients need write permission.")
    String socket_mode() default "0666";

    @AttributeDefinition(name = "Socket group", description = "Group (name or number) of the socket file; empty keeps the server's.")
    String socket_group() default "";

    @AttributeDefinition(name = "State dir", description = "The server's state dir, created (0755) when missing.")
    String state_dir() default "/run/rocker";

    @AttributeDefinition(name = "Max request size", description = "Bound on one request frame, in bytes.", min = "1024")
    int max_request_bytes() default 524288;

    @AttributeDefinition(name = "Max concurrent requests", description = "Connections served at once; more get 'server busy'.", min = "1")
    int max_concurrent_requests() default 32;

    @AttributeDefinition(name = "Max streams", description = "Clients waiting for their app's output at once.", min = "1")
    int max_streams() default 32;

    @AttributeDefinition(name = "Request timeout (ms)", description = "Time a client has to send its whole request.", min = "1")
    int request_timeout_ms() default 10000;

    @AttributeDefinition(name = "Write timeout (ms)", description = "Time a client has to take one response frame.", min = "1")
    int write_timeout_ms() default 30000;

    @AttributeDefinition(name = "Max wait (ms)", description = "Bound on one WAIT request; clients wait in steps.", min = "1")
    int max_wait_ms() default 30000;

    @AttributeDefinition(name = "Trusted uids", description = "Uids that, like root, may ask for any uid/gid and see all rockers.")
    int[] trusted_uids() default {};
}
