package dev.conv4j.bench;

import dev.conv4j.CacheFile;
import dev.conv4j.Check;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.Properties;
import java.util.function.DoubleSupplier;

/**
 * The machine's measured fp32 peak figures, cached in a small properties file so that only the
 * first {@code conv4j bench} on a machine pays for measuring them. One entry per
 * {@link #machineKey(int, String) CPU model, thread count and method}: a different thread
 * count (or a different CPU, when a home directory moves between machines) is measured anew,
 * and a figure measured one way is never read as a figure measured another way.
 *
 * <p>The file is {@code peak.properties} in conv4j's cache directory ({@link CacheFile}).
 * Delete it to measure again.
 */
public final class PeakCache {
    private final CacheFile cache;

    public PeakCache(Path file) {
        this.cache = new CacheFile(file);
    }

    /** The cache at its default location (see the class comment). */
    public static PeakCache atDefaultLocation() {
        return new PeakCache(CacheFile.named("peak.properties").file());
    }

    public Path file() {
        return cache.file();
    }

    /**
     * The key of a figure measured on this machine at {@code threads} threads with
     * {@code method}: {@code <cpu model> threads=<n> method=<method>}.
     *
     * @param method a short name without spaces, e.g. {@code fma-loop}
     */
    public static String machineKey(int threads, String method) {
        Check.arg(threads >= 1, "threads: must be >= 1, got %d", threads);
        Check.arg(method != null && method.matches("[A-Za-z0-9._-]+"),
                "method: must be letters, digits, '.', '_' or '-', got '%s'", method);
        return CacheFile.cpuModel() + " threads=" + threads + " method=" + method;
    }

    /** The cached peak in GFLOP/s for {@code key}, if any. */
    public OptionalDouble get(String key) {
        String v = cache.load().getProperty(key);
        if (v == null) {
            return OptionalDouble.empty();
        }
        try {
            double g = Double.parseDouble(v);
            return g > 0 && Double.isFinite(g) ? OptionalDouble.of(g) : OptionalDouble.empty();
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();   // a damaged entry is measured again
        }
    }

    /** Stores {@code gflops} for {@code key}, keeping the other entries. */
    public void put(String key, double gflops) {
        Check.arg(gflops > 0 && Double.isFinite(gflops), "peak: must be a positive number of GFLOP/s, got %s", gflops);
        Properties p = cache.load();
        p.setProperty(key, String.format(Locale.ROOT, "%.1f", gflops));
        cache.store(p, "conv4j: measured fp32 GFLOP/s per CPU model, thread count and method");
    }

    /** The cached peak for {@code key}, or {@code measure}'s result, which is then cached. */
    public double getOrMeasure(String key, DoubleSupplier measure) {
        OptionalDouble cached = get(key);
        if (cached.isPresent()) {
            return cached.getAsDouble();
        }
        double g = measure.getAsDouble();
        put(key, g);
        return g;
    }
}
