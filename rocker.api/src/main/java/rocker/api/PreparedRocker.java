package rocker.api;

import java.util.List;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What {@link RockerPreparer#prepare} gives the caller that enters the rocker: the result (the guard's
 * pid and name, or why not), the app's system call filter and the rocker's cgroups to move the app into.
 *
 * @since 1.2
 */
@ProviderType
public final class PreparedRocker {
    private final RockerResult result;
    private final byte[] seccompFilter;
    private final List<String> cgroupProcs;

    private PreparedRocker(RockerResult result, byte[] seccompFilter, List<String> cgroupProcs) {
        this.result = Objects.requireNonNull(result, "result");
        this.seccompFilter = seccompFilter == null ? null : seccompFilter.clone();
        this.cgroupProcs = List.copyOf(cgroupProcs);
    }

    /**
     * A rocker ready to be entered.
     *
     * @param seccompFilter the app's filter as a classic BPF program, 8 bytes an instruction ({@code u16
     *        code, u8 jt, u8 jf, u32 k}, big-endian); null: no filter ({@code unconfined})
     * @param cgroupProcs the host paths of the rocker's {@code cgroup.procs} files, one per hierarchy
     */
    public static PreparedRocker ready(RockerResult result, byte[] seccompFilter, List<String> cgroupProcs) {
        if (!result.isSuccess()) throw new IllegalArgumentException("a ready rocker needs a successful result");
        if (seccompFilter != null && (seccompFilter.length == 0 || seccompFilter.length % 8 != 0)) {
            throw new IllegalArgumentException("a filter is a non-empty multiple of 8 bytes, not " + seccompFilter.length);
        }
        return new PreparedRocker(result, seccompFilter, cgroupProcs);
    }

    /** Nothing was built. */
    public static PreparedRocker failed(RockerResult failure) {
        if (failure.isSuccess()) throw new IllegalArgumentException("a failure needs an error");
        return new PreparedRocker(failure, null, List.of());
    }

    public RockerResult result() { return result; }

    /** The filter (a copy), or null for none. */
    public byte[] seccompFilter() { return seccompFilter == null ? null : seccompFilter.clone(); }

    public List<String> cgroupProcs() { return cgroupProcs; }

    @Override
    public String toString() {
        return result + (result.isSuccess() ? ", filter " + (seccompFilter == null ? "none" : seccompFilter.length / 8 + " insns")
                + ", cgroups " + cgroupProcs : "");
    }
}
