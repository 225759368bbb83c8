package dev.conv4j.bench;

import dev.conv4j.CacheFile;
import dev.conv4j.Check;
import dev.conv4j.onednn.OneDnnEngine;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * This machine's fp32 figures as {@code conv4j bench} and {@code conv4j info} print them.
 *
 * <ul>
 *   <li><b>Peak</b>, the figure {@code % of peak} divides by: a tight vector FMA loop on all
 *       threads ({@link FmaPeak}, run in a child JVM), the ceiling no kernel can pass.
 *   <li><b>GEMM achievable</b>: a large oneDNN matmul ({@link OneDnnEngine#measureMatmulPeak()}),
 *       what oneDNN's best-tuned kernel reaches; shown beside the peak.
 * </ul>
 *
 * Each is read from the {@link PeakCache} entry of this CPU model, thread count and method,
 * else measured now and cached. A loop figure measured below the matmul (other work shared
 * the cores) is measured once more, and a warning says so if it stays below. If the FMA loop cannot run (a Java runtime without the
 * {@code jdk.incubator.vector} module), the peak falls back to the matmul figure, and its
 * source says so; that fallback is not cached as a loop figure.
 *
 * @param gflops     the peak in GFLOP/s, or {@code NaN} when it is unknown
 * @param source     how it was obtained, for people
 * @param gemmGflops the matmul figure in GFLOP/s, or {@code NaN} when it is unknown
 * @param gemmSource how that was obtained, or why it is unknown
 */
public record PeakEstimate(double gflops, String source, double gemmGflops, String gemmSource) {

    /** Cache method name of the FMA loop figure. */
    public static final String FMA_METHOD = "fma-loop";

    /** Cache method name of the matmul figure. */
    public static final String GEMM_METHOD = "matmul-" + OneDnnEngine.MATMUL_PEAK_SIZE;

    /**
     * The range of a peak given by hand ({@code --peak} of {@code bench} and {@code demo}), in
     * GFLOP/s: a CPU's fp32 peak is far inside it (a core gives a few to a few hundred), while
     * a value outside (1e-300, say) is a typo that would print absurd percentages of peak.
     */
    public static final double GIVEN_MIN = 0.1;
    public static final double GIVEN_MAX = 1e6;

    /**
     * The rule on a peak given by hand: {@code null} (measure it) or within
     * [{@link #GIVEN_MIN}, {@link #GIVEN_MAX}] GFLOP/s.
     *
     * @throws IllegalArgumentException (one line) if not
     */
    public static void checkGiven(Double gflops) {
        Check.arg(gflops == null || (gflops >= GIVEN_MIN && gflops <= GIVEN_MAX),
                "peak: must be a CPU's fp32 peak in [0.1, 1e6] GFLOP/s, got %s", gflops);
    }

    /** Time budget of the loop's timed runs in the child JVM. */
    static final long FMA_BUDGET_MILLIS = 1000;

    /** The child JVM is stopped after this. */
    static final long FMA_TIMEOUT_SECONDS = 60;

    /** One measurement: the figure and a description of how it was taken. */
    record Measured(double gflops, String how) {}

    /** A way to measure a figure; throws with a one-line message if it cannot. */
    @FunctionalInterface
    interface Measure {
        Measured run() throws Exception;
    }

    /**
     * Which figures a run measures now even if the cache has them. A shared or virtual
     * machine's sustained clock changes over minutes, so a figure cached earlier may not hold
     * for a run that divides by it. A figure measured now counts for its run; the cache keeps
     * the higher of it and the cached one (a figure measured under load is low, and {@code
     * conv4j info} reads the cache).
     */
    enum Fresh {
        /** Both from the cache (measured only when missing): {@code conv4j info}. */
        NONE,
        /** The FMA loop now, the matmul from the cache: {@code conv4j demo}, which prints the peak alone. */
        LOOP,
        /** Both now: {@code conv4j bench}, which prints both. */
        BOTH
    }

    /**
     * The figures at {@code threads} threads: cached, or measured now (about 2 s each) and cached.
     *
     * @param log where to say that a measurement is running (a line before, one after), or {@code null}
     */
    public static PeakEstimate forThreads(int threads, PrintWriter log) {
        return forThreads(threads, log, Fresh.NONE);
    }

    /**
     * As {@link #forThreads(int, PrintWriter)}, but both figures are measured now even if
     * cached ({@link Fresh#BOTH}): what {@code conv4j bench} uses, so that {@code % of peak}
     * and the matmul figure beside it are of the same run.
     */
    public static PeakEstimate measuredNow(int threads, PrintWriter log) {
        return forThreads(threads, log, Fresh.BOTH);
    }

    /**
     * As {@link #measuredNow}, but only the FMA loop is measured now ({@link Fresh#LOOP}):
     * for a run that divides by the peak and shows no matmul figure ({@code conv4j demo}).
     */
    public static PeakEstimate loopMeasuredNow(int threads, PrintWriter log) {
        return forThreads(threads, log, Fresh.LOOP);
    }

    private static PeakEstimate forThreads(int threads, PrintWriter log, Fresh fresh) {
        Measure fma = () -> {
            FmaPeak.Result r = FmaPeak.measureInChild(threads, FMA_BUDGET_MILLIS, FMA_TIMEOUT_SECONDS);
            return new Measured(r.gflops(), r.describe());
        };
        String unavailable = OneDnnEngine.unavailableReason();
        Measure gemm = unavailable != null ? null : () -> {
            MatmulFigure r = OneDnnEngine.measureMatmulPeak();
            return new Measured(r.gflops(), String.format(Locale.ROOT, "%s, %d×%d×%d fp32 matmul, best of %d runs",
                    r.implementation(), r.size(), r.size(), r.size(), r.runs()));
        };
        return estimate(threads, PeakCache.atDefaultLocation(), fma, gemm,
                unavailable == null ? null : "it is measured with oneDNN: " + unavailable, log, fresh);
    }

    /**
     * The figures from {@code cache}, else from {@code fma} and {@code gemm}.
     *
     * @param gemm            {@code null} when oneDNN is unavailable
     * @param gemmUnavailable why {@code gemm} is {@code null}
     */
    static PeakEstimate estimate(int threads, PeakCache cache, Measure fma, Measure gemm, String gemmUnavailable,
            PrintWriter log) {
        return estimate(threads, cache, fma, gemm, gemmUnavailable, log, Fresh.NONE);
    }

    /** As above; what {@code fresh} names is measured now, and its cached figure only replaced by a higher one. */
    static PeakEstimate estimate(int threads, PeakCache cache, Measure fma, Measure gemm, String gemmUnavailable,
            PrintWriter log, Fresh fresh) {
        String fmaKey = PeakCache.machineKey(threads, FMA_METHOD);
        String gemmKey = PeakCache.machineKey(threads, GEMM_METHOD);
        OptionalDouble fmaKept = cache.get(fmaKey);
        OptionalDouble fmaCached = fresh == Fresh.NONE ? fmaKept : OptionalDouble.empty();
        OptionalDouble gemmKept = cache.get(gemmKey);
        OptionalDouble gemmCached = fresh == Fresh.BOTH ? OptionalDouble.empty() : gemmKept;
        if (log != null && (fmaCached.isEmpty() || (gemm != null && gemmCached.isEmpty()))) {
            log.printf(Locale.ROOT, "measuring the fp32 peak of %s threads=%d (%s; cached in %s) ...%n",
                    CacheFile.cpuModel(), threads, fresh == Fresh.NONE ? "once" : "in this run", cache.file());
            log.flush();
        }

        Figure loop = figure(cache, fmaKey, fmaCached, fmaKept, "FMA loop", fma, "peak", log);
        double peak = loop.gflops();
        String peakSource = loop.source();
        String fmaFailure = loop.failure();

        double gemmGflops = Double.NaN;
        String gemmSource;
        if (gemm == null) {
            gemmSource = gemmUnavailable;
        } else {
            Figure g = figure(cache, gemmKey, gemmCached, gemmKept, "oneDNN matmul", gemm, "GEMM achievable", log);
            gemmGflops = g.gflops();
            gemmSource = g.failure() == null ? g.source() : "the matmul failed: " + g.failure();
        }

        if (!fmaCached.isPresent() && fmaFailure == null && gemmGflops > peak) {
            // The loop is a ceiling the matmul cannot pass: measured below it, it shared the
            // cores with other work. Measure once more and keep the better figure.
            Attempt again = attempt(fma);
            if (again.measured() != null && again.measured().gflops() > peak) {
                peak = again.measured().gflops();
                peakSource = "measured now: " + again.measured().how() + ", second try; "
                        + keepHigher(cache, fmaKey, fmaKept, peak);
                say(log, "peak", peak, peakSource);
            }
            if (gemmGflops > peak) {
                peakSource += "; below the matmul, so other work was running: delete the file on a quiet machine";
                if (log != null) {
                    log.printf(Locale.ROOT, "peak: the FMA loop measured %.1f GFLOP/s, below the matmul's %.1f: other work "
                            + "was running; delete %s and measure again on a quiet machine%n", peak, gemmGflops, cache.file());
                    log.flush();
                }
            }
        }

        if (fmaFailure != null) {
            // Not cached as a loop figure: the next run tries the loop again.
            if (!Double.isNaN(gemmGflops)) {
                peak = gemmGflops;
                peakSource = "oneDNN matmul, a lower bound: the FMA loop could not run (" + fmaFailure + ")";
            } else {
                peakSource = "the FMA loop could not run (" + fmaFailure + "), and no matmul figure: " + gemmSource;
            }
            if (log != null) {
                log.println("peak: the FMA loop could not run (" + fmaFailure + "); "
                        + (Double.isNaN(peak) ? "no figure" : "using the oneDNN matmul figure, a lower bound"));
                log.flush();
            }
        }
        return new PeakEstimate(peak, peakSource, gemmGflops, gemmSource);
    }

    /** A measurement, or why there is none. */
    private record Attempt(Measured measured, String failure) {}

    /** A figure and where it came from, or ({@code NaN}, null) and why it could not be measured. */
    private record Figure(double gflops, String source, String failure) {}

    /**
     * The figure under {@code key}: {@code cached} if present, else measured now with
     * {@code measure}, cached unless {@code kept} (the file's figure) is higher, and said on
     * {@code log} as {@code label}.
     */
    private static Figure figure(PeakCache cache, String key, OptionalDouble cached, OptionalDouble kept, String what,
                                 Measure measure, String label, PrintWriter log) {
        if (cached.isPresent()) {
            return new Figure(cached.getAsDouble(), what + ", cached in " + cache.file(), null);
        }
        Attempt a = attempt(measure);
        if (a.measured() == null) {
            return new Figure(Double.NaN, null, a.failure());
        }
        double gflops = a.measured().gflops();
        String source = "measured now: " + a.measured().how() + "; " + keepHigher(cache, key, kept, gflops);
        say(log, label, gflops, source);
        return new Figure(gflops, source, null);
    }

    /** Caches {@code gflops} under {@code key} unless {@code kept} is higher; says which. */
    private static String keepHigher(PeakCache cache, String key, OptionalDouble kept, double gflops) {
        if (kept.isPresent() && kept.getAsDouble() >= gflops) {
            return String.format(Locale.ROOT, "%s keeps the higher %.1f", cache.file(), kept.getAsDouble());
        }
        cache.put(key, gflops);
        return "cached in " + cache.file();
    }

    private static Attempt attempt(Measure m) {
        try {
            Measured r = m.run();
            if (r.gflops() > 0 && Double.isFinite(r.gflops())) {
                return new Attempt(r, null);
            }
            return new Attempt(null, "measured " + r.gflops() + " GFLOP/s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(null, "interrupted");
        } catch (Exception | LinkageError e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new Attempt(null, msg.lines().findFirst().orElse("").trim());
        }
    }

    private static void say(PrintWriter log, String what, double gflops, String how) {
        if (log != null) {
            log.printf(Locale.ROOT, "%s: %.1f GFLOP/s (%s)%n", what, gflops, how);
            log.flush();
        }
    }

    /** {@code 161.2 GFLOP/s (FMA loop, cached in ...)} or {@code unknown (...)}. */
    public String describe() {
        return describe(gflops, source);
    }

    /** The same for the matmul figure. */
    public String describeGemm() {
        return describe(gemmGflops, gemmSource);
    }

    private static String describe(double gflops, String source) {
        return Double.isNaN(gflops) ? "unknown (" + source + ")"
                : String.format(Locale.ROOT, "%.1f GFLOP/s (%s)", gflops, source);
    }
}
