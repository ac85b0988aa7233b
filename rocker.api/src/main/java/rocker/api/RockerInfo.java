package rocker.api;

import java.time.Instant;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/** A live rocker, as {@link RockerClient#list()} reports it. */
@ProviderType
public final class RockerInfo {
    private final String guardName;
    private final int guardPid;
    private final int appPid;
    private final Instant created;
    private final RockerRequest request;
    private final RockerStats stats;
    private final String image;

    public RockerInfo(String guardName, int guardPid, int appPid, Instant created, RockerRequest request) {
        this(guardName, guardPid, appPid, created, request, null);
    }

    /** With what the rocker uses now ({@code stats} may be null: unknown). @since 1.1 */
    public RockerInfo(String guardName, int guardPid, int appPid, Instant created, RockerRequest request, RockerStats stats) {
        this(guardName, guardPid, appPid, created, request, stats, null);
    }

    /**
     * With the identity of its image ({@code image} may be null: unknown). @since 1.2
     */
    public RockerInfo(String guardName, int guardPid, int appPid, Instant created, RockerRequest request, RockerStats stats,
            String image) {
        this.stats = stats;
        this.image = image;
        this.guardName = Objects.requireNonNull(guardName, "guardName");
        this.guardPid = guardPid;
        this.appPid = appPid;
        this.created = Objects.requireNonNull(created, "created");
        this.request = Objects.requireNonNull(request, "request");
    }

    public String guardName() { return guardName; }
    public int guardPid() { return guardPid; }
    /** The app's host pid when the rocker was made (the app may have ended since). */
    public int appPid() { return appPid; }
    public Instant created() { return created; }
    public RockerRequest request() { return request; }
    public int appId() { return request.appId(); }
    /** Memory and processes in use when it was listed; null when unknown. @since 1.1 */
    public RockerStats stats() { return stats; }
    /**
     * The identity of the image file the rocker runs, as the engine opened it (device, inode, size, mtime,
     * ctime, in a text to compare, not to parse: its format can change): rockers with the same identity share one read-only mount of it, one loop device and one page
     * cache (docs/engine.md, "Shared image mounts"); null when unknown (an older server or engine).
     *
     * @since 1.2
     */
    public String image() { return image; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof RockerInfo)) return false;
        RockerInfo i = (RockerInfo) o;
        return guardName.equals(i.guardName) && guardPid == i.guardPid && appPid == i.appPid
                && created.equals(i.created) && request.equals(i.request) && Objects.equals(stats, i.stats)
                && Objects.equals(image, i.image);
    }

    @Override
    public int hashCode() {
        return Objects.hash(guardName, guardPid, appPid, created, request, stats, image);
    }

    @Override
    public String toString() {
        return "RockerInfo[" + guardName + ", guard_pid=" + guardPid + ", app_pid=" + appPid + ", app_id="
                + request.appId() + ", created=" + created + ", pkg=" + request.pkgPath()
                + (stats == null ? "" : ", stats=" + stats) + (image == null ? "" : ", image=" + image) + "]";
    }
}
