package rocker.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What a rocker uses now, from its cgroup: memory (current and peak), processes, CPU time and how often
 * the kernel's OOM killer ended one of its processes. A figure the kernel does not give is -1.
 *
 * @since 1.1
 */
@ProviderType
public final class RockerStats {
    private final long memoryBytes;
    private final long memoryPeakBytes;
    private final long pids;
    private final long cpuNanos;
    private final long oomKills;

    public RockerStats(long memoryBytes, long memoryPeakBytes, long pids, long cpuNanos, long oomKills) {
        this.memoryBytes = memoryBytes;
        this.memoryPeakBytes = memoryPeakBytes;
        this.pids = pids;
        this.cpuNanos = cpuNanos;
        this.oomKills = oomKills;
    }

    public long memoryBytes() { return memoryBytes; }
    public long memoryPeakBytes() { return memoryPeakBytes; }
    public long pids() { return pids; }
    public long cpuNanos() { return cpuNanos; }
    public long oomKills() { return oomKills; }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RockerStats)) return false;
        RockerStats s = (RockerStats) o;
        return memoryBytes == s.memoryBytes && memoryPeakBytes == s.memoryPeakBytes && pids == s.pids && cpuNanos == s.cpuNanos
                && oomKills == s.oomKills;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(memoryBytes, memoryPeakBytes, pids, cpuNanos, oomKills);
    }

    @Override
    public String toString() {
        return "RockerStats[memory=" + memoryBytes + ", peak=" + memoryPeakBytes + ", pids=" + pids + ", cpu_ns=" + cpuNanos
                + ", oom_kills=" + oomKills + "]";
    }
}
