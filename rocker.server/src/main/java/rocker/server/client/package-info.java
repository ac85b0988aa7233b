/**
 * The remote {@link rocker.api.RockerClient}: {@link rocker.server.client.RemoteRockerClient} talks to a
 * Rocker server over its Unix socket, so that an unprivileged process can use Rocker.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package rocker.server.client;
