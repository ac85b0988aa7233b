/**
 * The OSGi side of rocker.cli: the launcher's {@code rocker} command line (component {@code rocker.cli},
 * which also configures the server, PID {@code rocker.server}, for {@code rocker serve}) and the Gogo
 * commands (component {@code rocker.gogo}, scope {@code rocker}).
 */
package rocker.cli.internal;
