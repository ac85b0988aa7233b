/**
 * The OSGi side of rocker.server: the server component (PID {@code rocker.server}), the remote client
 * service (PID {@code rocker.remote}), the launcher's {@code rocker} command line and the Gogo commands.
 */
package rocker.server;
