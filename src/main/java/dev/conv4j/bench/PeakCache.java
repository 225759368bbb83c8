package dev.conv4j.bench;

import dev.conv4j.Check;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
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
 * <p>The file is {@code peak.properties} in {@code -Dconv4j.cacheDir}, else in
 * {@code $XDG_CACHE_HOME/conv4j}, else in {@code ~/.cache/conv4j}. Delete it to measure again.
 */
public final class PeakCache {
    private final Path file;

    public PeakCache(Path file) {
        this.file = file;
    }

    /** The cache at its default location (see the class comment). */
    public static PeakCache atDefaultLocation() {
        String dir = System.getProperty("conv4j.cacheDir");
        Path base;
        if (dir != null && !dir.isBlank()) {
            base = Paths.get(dir);
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            base = (xdg != null && !xdg.isBlank())
                    ? Paths.get(xdg, "conv4j")
                    : Paths.get(System.getProperty("user.home"), ".cache", "conv4j");
        }
        return new PeakCache(base.resolve("peak.properties"));
    }

    public Path file() {
        return file;
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
        return cpuModel() + " threads=" + threads + " method=" + method;
    }

    /** The CPU model name from {@code /proc/cpuinfo}, else {@code os.arch}. */
    public static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.UTF_8);
            for (String l : lines) {
                if (l.startsWith("model name")) {
                    int colon = l.indexOf(':');
                    if (colon > 0) {
                        return l.substring(colon + 1).trim().replaceAll("\\s+", " ");
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or no access: fall through to the architecture name.
        }
        return System.getProperty("os.arch", "unknown");
    }

    /** The cached peak in GFLOP/s for {@code key}, if any. */
    public OptionalDouble get(String key) {
        String v = load().getProperty(key);
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
        Properties p = load();
        p.setProperty(key, String.format(Locale.ROOT, "%.1f", gflops));
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            // Write a sibling file and move it into place, so a reader never sees half a file.
            Path tmp = Files.createTempFile(dir, "peak", ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "conv4j: measured fp32 GFLOP/s per CPU model, thread count and method");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("peak cache: cannot write " + file + ": " + e.getMessage(), e);
        }
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

    private Properties load() {
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                // Unreadable cache: start afresh, as if empty.
                return new Properties();
            }
        }
        return p;
    }
}
