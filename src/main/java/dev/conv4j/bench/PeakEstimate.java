package dev.conv4j.bench;

import dev.conv4j.onednn.MachinePeak;
import dev.conv4j.onednn.OneDnnEngine;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * This machine's fp32 peak as {@code conv4j bench} and {@code conv4j info} print it: the
 * figure cached for this CPU model and thread count ({@link PeakCache}), else measured now
 * with {@link MachinePeak} and cached.
 *
 * @param gflops the peak in GFLOP/s, or {@code NaN} when it is unknown (oneDNN cannot load)
 * @param source how it was obtained, for people: {@code cached in FILE}, {@code measured
 *               now: ...}, or why it is unknown
 */
public record PeakEstimate(double gflops, String source) {

    /**
     * The peak at {@code threads} threads: cached, or measured now (about 2 s) and cached.
     *
     * @param log where to say that a measurement is running (a line before, one after), or {@code null}
     */
    public static PeakEstimate forThreads(int threads, PrintWriter log) {
        String unavailable = OneDnnEngine.unavailableReason();
        if (unavailable != null) {
            return new PeakEstimate(Double.NaN, "unknown, it is measured with oneDNN: " + unavailable);
        }
        PeakCache cache = PeakCache.atDefaultLocation();
        String key = PeakCache.machineKey(threads);
        OptionalDouble cached = cache.get(key);
        if (cached.isPresent()) {
            return new PeakEstimate(cached.getAsDouble(), "cached in " + cache.file());
        }
        if (log != null) {
            log.printf(Locale.ROOT, "measuring the fp32 peak of %s (once; cached in %s) ...%n", key, cache.file());
            log.flush();
        }
        MachinePeak.Result r = MachinePeak.measure();
        cache.put(key, r.gflops());
        String how = String.format(Locale.ROOT, "measured now: %s, %d×%d×%d fp32 matmul, best of %d runs; cached in %s",
                r.implementation(), r.size(), r.size(), r.size(), r.runs(), cache.file());
        if (log != null) {
            log.printf(Locale.ROOT, "peak: %.1f GFLOP/s (%s)%n", r.gflops(), how);
            log.flush();
        }
        return new PeakEstimate(r.gflops(), how);
    }

    /** {@code 312.4 GFLOP/s (cached in ...)} or {@code unknown (...)}. */
    public String describe() {
        return Double.isNaN(gflops) ? "unknown (" + source + ")"
                : String.format(Locale.ROOT, "%.1f GFLOP/s (%s)", gflops, source);
    }
}
