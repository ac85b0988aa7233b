/**
 * The socket server: the DS component (PID {@code rocker.server}, configuration policy REQUIRE), listener,
 * connections, authorization from SO_PEERCRED, dispatch to the engine.
 */
package rocker.server.internal;
