/**
 * The OSGi side of rocker.client: the remote client as a DS component (PID {@code rocker.remote},
 * configuration policy REQUIRE), a {@code RockerClient} service with {@code rocker.transport=remote}.
 */
package rocker.client.internal;
