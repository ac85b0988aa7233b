package rocker.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Builds a rocker <em>without an app</em>, for a caller that starts its own process in it: the C
 * library's {@code ROCKER_enter_rocker}, through the server (docs/protocol.md, PREPARE and STARTED).
 * Offered by the local engine only, next to its {@link RockerClient}: the caller must be root on the
 * host, since it joins the rocker's namespaces itself.
 *
 * <p>Every prepared rocker ends in exactly one of {@link #started} (the rocker is <em>entered</em>: it is
 * listed with the caller's app pid) or {@link #abandon} (it is torn down); one the engine is closed on is
 * torn down too.
 *
 * @since 1.2
 */
@ProviderType
public interface RockerPreparer {

    /**
     * Builds a rocker for {@code request} as for {@link RockerClient#enterRocker} but starts no app. Only
     * the engine's own credentials may enter ({@link RockerCaller#engine()}); any other caller gets
     * {@link RockerError#ENTER_ROCKER_FAILED} ("permission denied (EPERM): ...") and nothing is built.
     * {@link RockerRequest#removeOnExit()} and {@link RockerRequest#userNamespace()} cannot be honoured
     * for an app that is not the guard's child: {@link RockerError#PARAM_INVALID} naming the field.
     */
    PreparedRocker prepare(RockerRequest request, RockerCaller caller);

    /**
     * The caller's app runs in the prepared rocker {@code guardName} as host pid {@code appPid}: checked
     * (a live process in the rocker's pid namespace, not its guard) and recorded. On any failure the
     * rocker is torn down and the result says why ({@link RockerError#ENTER_ROCKER_FAILED}).
     */
    RockerResult started(String guardName, int appPid);

    /** Tears down the prepared rocker {@code guardName}, which was never entered. */
    RockerResult abandon(String guardName);
}
