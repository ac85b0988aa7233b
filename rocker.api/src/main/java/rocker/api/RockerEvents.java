package rocker.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The local engine's lifecycle events, posted on the OSGi EventAdmin when one is present (the engine
 * bundle imports {@code org.osgi.service.event} optionally): a handler registers for
 * {@code rocker/ROCKER/*} or one of the topics below. Every event carries {@link #GUARD_NAME},
 * {@link #GUARD_PID}, {@link #APP_PID}, {@link #APP_ID} and {@link #UID}; {@link #APP_EXITED} also
 * {@link #EXIT_STATUS} and {@link #EXIT_SIGNAL}. Events are posted (asynchronously), after the fact;
 * the remote client has {@link RockerClient#onAppExit(String)} instead.
 *
 * @since 1.2
 */
@ProviderType
public final class RockerEvents {
    /** The prefix of every topic. */
    public static final String TOPIC_PREFIX = "rocker/ROCKER/";
    /** A rocker was built and its app started (or, for an entered rocker, its caller's app reported). */
    public static final String CREATED = TOPIC_PREFIX + "CREATED";
    /** The app of a rocker ended (not posted for an entered rocker, whose app is its caller's child). */
    public static final String APP_EXITED = TOPIC_PREFIX + "APP_EXITED";
    /** A rocker is gone: destroyed, ended with its app ({@code removeOnExit}), or its guard was killed. */
    public static final String DESTROYED = TOPIC_PREFIX + "DESTROYED";
    /**
     * An engine that started took over a rocker an earlier engine made (after a restart or an update of
     * the engine bundle); posted once an EventAdmin is there.
     */
    public static final String ADOPTED = TOPIC_PREFIX + "ADOPTED";

    /** String: the guard's name. */
    public static final String GUARD_NAME = "guard.name";
    /** Integer: the guard's host pid. */
    public static final String GUARD_PID = "guard.pid";
    /** Integer: the app's host pid. */
    public static final String APP_PID = "app.pid";
    /** Integer: the request's app id. */
    public static final String APP_ID = "app.id";
    /** Integer: the app's uid. */
    public static final String UID = "uid";
    /** Integer: the app's exit code, or 128 + the signal that ended it (as {@link RockerClient#waitForApp}). */
    public static final String EXIT_STATUS = "exit.status";
    /** Integer: the signal that ended the app, 0 when it exited. */
    public static final String EXIT_SIGNAL = "exit.signal";

    private RockerEvents() {
    }
}
