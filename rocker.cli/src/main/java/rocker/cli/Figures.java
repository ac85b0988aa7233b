package rocker.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import rocker.api.RockerStats;

/** How {@code rocker ls} and {@code rocker stats} show a rocker's figures; -1 (unknown) is {@code -}. */
final class Figures {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Figures() {
    }

    /** 512B, 12.5KiB, 64.0MiB, 1.2GiB; {@code -} when unknown. */
    static String bytes(long n) {
        if (n < 0) {
            return "-";
        }
        if (n < 1024) {
            return n + "B";
        }
        double v = n;
        int unit = -1;
        while (v >= 1023.95 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f%s", v, UNITS[unit]);
    }

    static String count(long n) {
        return n < 0 ? "-" : Long.toString(n);
    }

    /** CPU time in seconds with milliseconds, e.g. 1.500s; {@code -} when unknown. */
    static String seconds(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%d.%03ds", nanos / 1_000_000_000L, nanos / 1_000_000L % 1000);
    }

    /** The figures as a JSON object, the numbers as they are (-1: unknown). */
    static Map<String, Object> object(RockerStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("memory", s.memoryBytes());
        m.put("memory_peak", s.memoryPeakBytes());
        m.put("pids", s.pids());
        m.put("cpu_ns", s.cpuNanos());
        m.put("oom_kills", s.oomKills());
        return m;
    }
}
