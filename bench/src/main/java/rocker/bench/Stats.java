package rocker.bench;

import java.util.Arrays;
import java.util.List;

/** Order statistics of a series of durations in nanoseconds, reported in milliseconds. */
final class Stats {
    final int n;
    final double p50;
    final double p90;
    final double p99;
    final double max;
    final double min;
    final double mean;

    private Stats(long[] sorted) {
        n = sorted.length;
        p50 = ms(rank(sorted, 0.50));
        p90 = ms(rank(sorted, 0.90));
        p99 = ms(rank(sorted, 0.99));
        max = ms(sorted[n - 1]);
        min = ms(sorted[0]);
        double sum = 0;
        for (long v : sorted) sum += v;
        mean = ms(sum / n);
    }

    /** Null when there is no sample. */
    static Stats of(List<Long> nanos) {
        if (nanos == null || nanos.isEmpty()) return null;
        long[] a = new long[nanos.size()];
        for (int i = 0; i < a.length; i++) a[i] = nanos.get(i);
        Arrays.sort(a);
        return new Stats(a);
    }

    /** Nearest-rank percentile. */
    private static long rank(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static double ms(double nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    @Override
    public String toString() {
        return String.format("n=%d p50=%.2f p99=%.2f max=%.2f ms", n, p50, p99, max);
    }
}
