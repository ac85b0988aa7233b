package rocker.server;

import org.osgi.annotation.versioning.ProviderType;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the Rocker server (PID {@value #PID}); property names use dots, e.g. {@code socket.path}.
 * The server listens only while a configuration of this PID exists (configuration policy REQUIRE): a
 * framework with the bundle and no configuration opens no socket. {@code rocker serve} makes one.
 */
@ObjectClassDefinition(name = "Rocker server",
        description = "The Unix-socket server that builds rockers for local clients, authorized by SO_PEERCRED.")
@ProviderType
public @interface ServerConfig {
    String PID = "rocker.server";
    /** The property of {@link #socket_path()}. */
    String SOCKET_PATH = "socket.path";
    /** The property of {@link #state_dir()}. */
    String STATE_DIR = "state.dir";

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

    @AttributeDefinition(name = "Max concurrent requests", description = "Connections served at once; more get 'server busy'."
            + " A uid that is not root or trusted holds at most a quarter of them, and never the last eighth, kept for root.", min = "1")
    int max_concurrent_requests() default 32;

    @AttributeDefinition(name = "Max streams", description = "Clients waiting for their app's output at once (shared like the connections).", min = "1")
    int max_streams() default 32;

    @AttributeDefinition(name = "Request timeout (ms)", description = "Time a client has to send its whole request.", min = "1")
    int request_timeout_ms() default 10000;

    @AttributeDefinition(name = "Write timeout (ms)", description = "Time a client has to take one response frame.", min = "1")
    int write_timeout_ms() default 30000;

    @AttributeDefinition(name = "Max wait (ms)", description = "Bound on one WAIT request; clients wait in steps.", min = "1")
    int max_wait_ms() default 30000;

    @AttributeDefinition(name = "Trusted uids", description = "Uids that, like root, may ask for any uid/gid and see all rockers.")
    int[] trusted_uids() default {};

    @AttributeDefinition(name = "Max rockers per uid", description = "Live rockers a uid that is not root or trusted may have; more get 'quota: ...'.", min = "1")
    int max_rockers_per_uid() default 32;

    @AttributeDefinition(name = "Max processes per uid", description = "The sum of the process limits (pids) of the live rockers"
            + " of a uid that is not root or trusted; more get 'quota: ...'.", min = "1")
    long max_pids_per_uid() default 4096;

    @AttributeDefinition(name = "Trusted rockers", description = "Guard names of rockers whose apps may use the server"
            + " (app managers that themselves run in a rocker); empty: requests from inside any rocker are refused.")
    String[] trusted_rockers() default {};
}
