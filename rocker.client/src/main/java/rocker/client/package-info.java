/**
 * The remote {@link rocker.api.RockerClient}: {@link rocker.client.RemoteRockerClient} talks to a
 * Rocker server over its Unix socket, so that an unprivileged process can use Rocker. It is a plain
 * class (no OSGi class is needed to make or use one); in a framework, configuration PID
 * {@code rocker.remote} registers one as a {@code RockerClient} service ({@code rocker.transport=remote}).
 * Before the bundles were split by role this package was {@code rocker.server.client} of bundle
 * {@code rocker.server}; its API is unchanged.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package rocker.client;
