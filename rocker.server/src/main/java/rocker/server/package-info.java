/**
 * The server's contract in a framework: its configuration ({@link rocker.server.ServerConfig}, PID
 * {@code rocker.server}; the server listens only while that configuration exists) and the
 * {@link rocker.server.ServerStatus} service it registers then, which {@code rocker serve} watches.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package rocker.server;
