/**
 * Rocker's service contract: ask a {@link rocker.api.RockerClient} to run a {@link rocker.api.RockerApp}
 * from a squashfs image in a new sandbox (a <em>rocker</em>) described by a {@link rocker.api.RockerRequest}.
 *
 * <p>This is the Java counterpart of the original C client API ({@code ROCKER_enter_rocker},
 * {@code ROCKER_get_guardname}, {@code ROCKER_request_new}); the numeric error codes of
 * {@link rocker.api.RockerError} are the C API's {@code ROCKER_ERR} values.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package rocker.api;
