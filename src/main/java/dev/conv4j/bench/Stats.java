package dev.conv4j.bench;

import dev.conv4j.Check;
import java.util.Arrays;

/**
 * Summary of repeated timings of one task: how many samples, and their median, minimum and
 * maximum in milliseconds. The median of an even count is the mean of the two middle samples.
 *
 * @param count    number of timed samples (warm-up excluded)
 * @param medianMs median time of one run
 * @param minMs    fastest run
 * @param maxMs    slowest run
 */
public record Stats(int count, double medianMs, double minMs, double maxMs) {

    public Stats {
        Check.arg(count >= 1, "count: must be >= 1, got %d", count);
        Check.arg(minMs <= medianMs && medianMs <= maxMs,
                "stats: expected min <= median <= max, got %s <= %s <= %s", minMs, medianMs, maxMs);
    }

    /**
     * Summarises the first {@code n} samples of {@code nanos}.
     *
     * @param nanos samples in nanoseconds; read, not modified
     * @param n     how many samples to use, {@code 1 <= n <= nanos.length}
     */
    public static Stats ofNanos(long[] nanos, int n) {
        Check.arg(n >= 1 && n <= nanos.length, "samples: need 1..%d samples, got %d", nanos.length, n);
        long[] s = Arrays.copyOf(nanos, n);
        Arrays.sort(s);
        double median = (n % 2 == 1) ? s[n / 2] : (s[n / 2 - 1] + (double) s[n / 2]) / 2.0;
        return new Stats(n, median / 1e6, s[0] / 1e6, s[n - 1] / 1e6);
    }

    /** Summarises all of {@code nanos}. */
    public static Stats ofNanos(long... nanos) {
        return ofNanos(nanos, nanos.length);
    }

    /** GFLOP/s of the median run for a task of {@code flops} floating-point operations. */
    public double gflops(double flops) {
        return flops / (medianMs * 1e6);
    }
}
