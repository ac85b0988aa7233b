package rocker.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import rocker.testsupport.KernelView;

/**
 * Scale: the latency of one more start with 0, 100, 500 rockers alive (kept rockers: their apps have
 * ended, their guard, keeper, mounts and loop device stay), then how many rockers can be made before
 * something fails, bounded (the loop-device limit), then everything is destroyed.
 */
final class ScaleBench {
    final Map<String, Object> figures = new LinkedHashMap<>();

    /** Calls of each lookup at a level. */
    private static final int LOOKUPS = 21;
    /** A uid the bench's rockers do not run as. */
    private static final int UID_WITHOUT_ROCKERS = 65533;

    /**
     * What the server's checks of whose a rocker is cost at this level (issue 19): {@code list()} reads
     * every rocker's cgroups, {@code listWithoutStats()} only the records, {@code find} one record,
     * {@code listOfUid} the records and that uid's rockers' guards (an unprivileged client's quota).
     */
    private static void lookups(ClientBench cb, List<String> live, Map<String, Object> lv) {
        List<Long> list = new ArrayList<>();
        List<Long> brief = new ArrayList<>();
        List<Long> find = new ArrayList<>();
        List<Long> ofUid = new ArrayList<>();
        for (int i = 0; i < LOOKUPS; i++) {
            long t0 = System.nanoTime();
            int n = cb.client.list().size();
            long t1 = System.nanoTime();
            int m = cb.client.listWithoutStats().size();
            long t2 = System.nanoTime();
            boolean found = live.isEmpty() || cb.client.find(live.get(i % live.size())).isPresent();
            long t3 = System.nanoTime();
            // a uid none of them runs as: the quota's count of a user with no rocker here (the records read, no guard checked)
            boolean none = cb.client.listOfUid(UID_WITHOUT_ROCKERS).isEmpty();
            long t4 = System.nanoTime();
            if (n < live.size() || m != n || !found || !none) {
                throw new BenchException("scale: " + live.size() + " rockers kept live, list() has " + n + ", listWithoutStats() " + m
                        + (found ? "" : ", find() missed one") + (none ? "" : ", listOfUid(" + UID_WITHOUT_ROCKERS + ") found some"));
            }
            list.add(t1 - t0);
            brief.add(t2 - t1);
            find.add(t3 - t2);
            ofUid.add(t4 - t3);
        }
        lv.put("list_p50_ms", Stats.of(list).p50);
        lv.put("list_without_stats_p50_ms", Stats.of(brief).p50);
        lv.put("find_p50_ms", Stats.of(find).p50);
        lv.put("list_of_uid_p50_ms", Stats.of(ofUid).p50);
    }

    void run(ClientBench cb, Path dataRoot, int warmup, int[] levels, int probes, int limit) throws Exception {
        List<String> live = new ArrayList<>();
        int idx = 0;
        try {
            Map<String, Object> perLevel = new LinkedHashMap<>();
            List<Long> fill = new ArrayList<>();
            // a warm-up first, as every other series has: level 0 is not measured on a cold engine (--only scale)
            for (int w = 0; w < warmup; w++) {
                cb.destroy(cb.start(dataRoot.resolve("w" + idx++), true).name());
            }
            for (int level : levels) {
                while (live.size() < level) {
                    ClientBench.Sample s = cb.start(dataRoot.resolve("f" + idx++), true);
                    live.add(s.name());
                    fill.add(s.startNs());
                }
                // what the warm-up or the fill left to the background (spares refilled to the demand just seen,
                // image holders' checks) settles before the probes, as between the other parts' blocks
                Thread.sleep(1000);
                List<Long> starts = new ArrayList<>();
                List<Long> destroys = new ArrayList<>();
                Map<String, Object> profile;
                // sampled as well: which engine steps grow with the number of live rockers
                try (Profiler prof = new Profiler(Thread.currentThread(), 500)) {
                    for (int p = 0; p < probes; p++) {
                        ClientBench.Sample s = cb.start(dataRoot.resolve("p" + idx++), true);
                        starts.add(s.startNs());
                        prof.pause(true);
                        destroys.add(cb.destroy(s.name()));
                        prof.pause(false);
                    }
                    profile = prof.report(Stats.of(starts).mean);
                }
                Stats st = Stats.of(starts);
                Stats ds = Stats.of(destroys);
                figures.put("start_p50_ms_with_" + level + "_live", st.p50);
                Map<String, Object> lv = new LinkedHashMap<>();
                lv.put("start_p50_ms", st.p50);
                lv.put("start_p99_ms", st.p99);
                lv.put("destroy_p50_ms", ds.p50);
                lv.put("probes", st.n);
                // the kernel's memory cgroups, the destroyed rockers' that still have pages charged included: a
                // full run leaves thousands by this part (docs/performance.md, "Targets and the last full run")
                lv.put("memory_cgroups", Kernel.memoryCgroups());
                lv.put("sampled_steps_ms", profile.get("steps_ms"));
                lookups(cb, live, lv);
                perLevel.put(Integer.toString(level), lv);
            }
            figures.put("scale_levels", perLevel);
            if (!fill.isEmpty()) {
                figures.put("scale_fill_first100_p50_ms", Stats.of(fill.subList(0, Math.min(100, fill.size()))).p50);
                figures.put("scale_fill_last100_p50_ms", Stats.of(fill.subList(Math.max(0, fill.size() - 100), fill.size())).p50);
            }
            if (limit > 0) {
                String error = null;
                try {
                    while (live.size() < limit) {
                        live.add(cb.start(dataRoot.resolve("f" + idx++), true).name());
                    }
                } catch (BenchException e) {
                    error = e.getMessage();
                }
                figures.put("loop_limit_rockers_created", live.size());
                figures.put("loop_limit_bound", limit);
                figures.put("loop_limit_error", error == null ? "none: all " + limit + " rockers were made (the bench stops there)" : error);
                figures.put("loop_devices_at_peak", KernelView.loopsOn(cb.ws.root + "/").size());
                figures.put("loop_devices_total_at_peak", KernelView.loopBackingFiles().size());
            }
        } finally {
            List<Long> destroys = new ArrayList<>();
            for (String name : live) {
                try {
                    destroys.add(cb.destroy(name));
                } catch (BenchException e) {
                    // the tracker's clean-up kills it
                }
            }
            Stats ds = Stats.of(destroys);
            if (ds != null) {
                figures.put("scale_teardown_destroy_p50_ms", ds.p50);
                figures.put("scale_teardown_destroyed", ds.n);
            }
        }
    }
}
