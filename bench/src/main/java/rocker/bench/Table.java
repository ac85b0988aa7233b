package rocker.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** The human summary of a run, printed from the same map that goes into the JSON. */
final class Table {
    private Table() {
    }

    static void print(PrintStream out, Map<String, Object> r, String mode) {
        out.println();
        out.println("Rocker bench (" + mode + "), kernel " + r.get("kernel") + ", " + r.get("cpus") + " cpus, load "
                + r.get("loadavg_start") + " -> " + r.get("loadavg_end"));
        out.println();
        out.printf("%-52s %9s %9s %9s %6s%n", "start latency: request -> app exited (ms)", "p50", "p99", "max", "n");
        row(out, r, "rocker, in-process engine", "start");
        row(out, r, "rocker, through the socket (" + r.getOrDefault("server_kind", "-") + ")", "start_socket");
        row(out, r, "floor (C, same kernel work)", "floor");
        row(out, r, "floor, shared image mount (clone)", "floor_shared");
        row(out, r, "floor, shared image mount (holder's loop dev)", "floor_shared_loop");
        row(out, r, "floor, shared mount + Rocker's containment (C)", "floor_contained");
        row(out, r, "rocker, engine, spaced (" + BenchMain.SPACED_PAUSE_MS + " ms after each)", "start_spaced");
        row(out, r, "floor, spaced (" + BenchMain.SPACED_PAUSE_MS + " ms after each)", "floor_spaced");
        row(out, r, "rocker, engine, first rocker of an image", "start_cold");
        row(out, r, "busybox app, first output, cold image", "app_busybox_cold");
        row(out, r, "busybox app, first output, warm image", "app_busybox_warm");
        row(out, r, "bwrap (less work: see bwrap_does) *", "bwrap");
        row(out, r, "unshare(1) + sh + mount(8) + setpriv *", "unshare");
        row(out, r, "rocker, engine, 8 concurrent clients", "concurrent8");
        row(out, r, "rocker, socket, 8 concurrent clients", "concurrent8_socket");
        row(out, r, "floor, 8 concurrent workers", "floor_concurrent8");
        row(out, r, "floor, shared mount, 8 concurrent workers", "floor_shared_concurrent8");
        row(out, r, "bwrap, 8 concurrent *", "bwrap_concurrent8");
        out.println("  * whole run from spawn to reaped, teardown included: compare with the cycle figures below");
        out.printf("%-52s %9s%n", "rocker enterRocker() returned (app started)", v(r, "start_enter_p50_ms"));
        out.printf("%-52s %9s %9s %9s%n", "rocker destroy (engine)", v(r, "destroy_p50_ms"), v(r, "destroy_p99_ms"), v(r, "destroy_max_ms"));
        out.printf("%-52s %9s %9s %9s%n", "rocker destroy (socket)", v(r, "destroy_socket_p50_ms"), v(r, "destroy_socket_p99_ms"), v(r, "destroy_socket_max_ms"));
        out.printf("%-52s %9s%n", "rocker cycle: start + destroy (engine)", v(r, "cycle_p50_ms"));
        out.printf("%-52s %9s%n", "floor cycle: start + teardown", v(r, "floor_cycle_p50_ms"));
        out.printf("%-52s %s%n", "floor steps p50 (ms)", v(r, "floor_steps_p50_ms"));
        out.printf("%-52s %s%n", "contained floor steps p50 (ms)", v(r, "floor_contained_steps_p50_ms"));
        out.println();
        out.printf("%-52s %9s %9s %9s %6s %9s%n", "client commands: ls, a new JVM each (ms)", "p50", "p99", "max", "n", "max RSS");
        cli(out, r, "./rocker ls (plain class path" + (Boolean.TRUE.equals(r.get("cli_ls_cds")) ? ", CDS)" : ")"), "cli_ls");
        cli(out, r, "plain java -cp, the same LIST frame (floor)", "cli_floor_ls");
        cli(out, r, "java -jar rocker.jar ls (the launcher, before)", "cli_launcher_ls");
        out.println();
        out.println("ratios (same run)");
        for (String k : List.of("ratio_start_vs_floor", "ratio_cycle_vs_floor_cycle", "ratio_start_vs_bwrap", "ratio_cycle_vs_bwrap",
                "ratio_start_vs_unshare", "ratio_socket_vs_engine", "ratio_concurrent8_vs_floor_concurrent8",
                "ratio_start_vs_floor_shared", "ratio_start_spaced_vs_floor_spaced", "ratio_start_vs_floor_contained", "ratio_floor_contained_vs_floor_shared", "ratio_start_cold_vs_floor", "ratio_concurrent8_vs_floor_shared_concurrent8",
                "ratio_app_busybox_warm_vs_cold", "loops_in_use_100_live_3_images",
                "ratio_500_live_vs_0_live", "ratio_pg_tps", "ratio_cli_ls_vs_floor", "ratio_cli_launcher_ls_vs_floor")) {
            out.printf("  %-50s %9s%n", k, v(r, k));
        }
        out.println();
        out.println("footprint");
        out.printf("  %-50s %9s  (Pss %s KiB; keeper %s KiB)%n", "guard VmRSS (KiB)", v(r, "guard_rss_kib"), v(r, "guard_pss_kib"), v(r, "keeper_rss_kib"));
        out.printf("  %-50s %9s%n", "server start -> socket ready (ms), launcher", v(r, "server_ready_ms"));
        out.printf("  %-50s %9s  (heap used after GC %s MiB, threads %s)%n", "server idle RSS (MiB)", v(r, "server_idle_rss_mib"),
                v(r, "server_idle_heap_used_mib"), v(r, "server_threads_idle"));
        out.printf("  %-50s %9s  (fresh max %s; per server start: %s; threads %s)%n", "server idle RSS after serving, max (MiB)",
                v(r, "server_idle_rss_after_serving_max_mib"), v(r, "server_idle_rss_fresh_max_mib"),
                v(r, "server_idle_rss_after_serving_mib_rounds"), v(r, "server_threads_after_serving"));
        Object live = r.get("server_live_rockers");
        if (live != null) {
            out.printf("  %-50s %9s  (heap used after GC %s MiB, threads %s)%n", "server RSS with " + live + " live rockers (MiB)",
                    v(r, "server_rss_mib_with_" + live + "_live"), v(r, "server_heap_used_mib_with_" + live + "_live"),
                    v(r, "server_threads_with_" + live + "_live"));
            out.printf("  %-50s %9s  (adopted %s of %s)%n", "restart: a new engine adopts " + live + " live (ms)",
                    v(r, "adopt_ms_with_" + live + "_live"), v(r, "adopted_with_" + live + "_live"), live);
        }
        if (r.get("server_idle_rss_mib_small_jvm") != null) {
            out.printf("  %-50s %9s  (%s)%n", "server idle RSS, small JVM flags (MiB)", v(r, "server_idle_rss_mib_small_jvm"),
                    v(r, "server_small_jvm_flags"));
        }
        out.println();
        out.println("scale (engine): one more start with N rockers alive");
        out.printf("  %-50s %s%n", "per level", v(r, "scale_levels"));
        out.printf("  %-50s %9s%n", "start p50 with 500 live (ms)", v(r, "start_p50_ms_with_500_live"));
        out.printf("  %-50s %9s  (max_loop=%s; error: %s)%n", "rockers made before failure (bound 600)",
                v(r, "loop_limit_rockers_created"), v(r, "loop_max_loop_param"), v(r, "loop_limit_error"));
        out.println();
        out.println("PostgreSQL (pgbench TPS)");
        out.printf("  %-50s %9s / %s  (ratio %s)%n", "read-write: native / in a rocker", v(r, "pg_tps_native"), v(r, "pg_tps_rocker"), v(r, "ratio_pg_tps"));
        out.printf("  %-50s %9s / %s  (ratio %s)%n", "select-only: native / in a rocker", v(r, "pg_ro_tps_native"), v(r, "pg_ro_tps_rocker"), v(r, "pg_ro_tps_ratio"));
        if (r.get("jmh") != null) {
            out.println();
            out.println("JMH (ns/op): " + r.get("jmh"));
        }
        if (r.get("profile_engine") != null) {
            out.println();
            out.println("where an engine start goes (sampled, ms): " + r.get("profile_engine"));
        }
        out.println();
        out.println("targets: " + r.get("targets"));
        if (!((Map<?, ?>) r.get("skipped")).isEmpty()) out.println("skipped: " + r.get("skipped"));
        if (!((Map<?, ?>) r.get("failed")).isEmpty()) out.println("FAILED: " + r.get("failed"));
        if (!((List<?>) r.get("leaks")).isEmpty()) out.println("LEFT BEHIND: " + r.get("leaks"));
        for (Object n : (List<?>) r.get("notes")) out.println("note: " + n);
    }

    /** A client-command row: wall p50/p99/max (ms), n and the peak RSS (MiB) of its runs. */
    private static void cli(PrintStream out, Map<String, Object> r, String label, String prefix) {
        out.printf("  %-50s %9s %9s %9s %6s %9s%n", label, v(r, prefix + "_p50_ms"), v(r, prefix + "_p99_ms"), v(r, prefix + "_max_ms"),
                v(r, prefix + "_n"), v(r, prefix + "_max_rss_mib"));
    }

    private static void row(PrintStream out, Map<String, Object> r, String label, String prefix) {
        out.printf("  %-50s %9s %9s %9s %6s%n", label, v(r, prefix + "_p50_ms"), v(r, prefix + "_p99_ms"), v(r, prefix + "_max_ms"),
                v(r, prefix + "_n"));
    }

    private static String v(Map<String, Object> r, String key) {
        Object o = r.get(key);
        if (o == null) return "-";
        if (o instanceof Double) {
            double d = (Double) o;
            return d == Math.rint(d) && Math.abs(d) < 1e12 ? Long.toString((long) d) : String.format("%.2f", d);
        }
        return o.toString();
    }
}
