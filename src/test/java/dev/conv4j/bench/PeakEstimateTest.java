package dev.conv4j.bench;

import dev.conv4j.CacheFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which figure {@link PeakEstimate} takes from where, with stand-ins for the two measurements. */
class PeakEstimateTest {

    private final AtomicInteger fmaRuns = new AtomicInteger();
    private final AtomicInteger gemmRuns = new AtomicInteger();

    private PeakEstimate.Measure fma(double gflops) {
        return () -> {
            fmaRuns.incrementAndGet();
            return new PeakEstimate.Measured(gflops, "256-bit FMA loop, 12 chains × 2 threads, fastest of 40 chunks per thread");
        };
    }

    private PeakEstimate.Measure gemm(double gflops) {
        return () -> {
            gemmRuns.incrementAndGet();
            return new PeakEstimate.Measured(gflops, "brg_matmul:avx2, 2048×2048×2048 fp32 matmul, best of 15 runs");
        };
    }

    private final PeakEstimate.Measure fmaFails = () -> {
        fmaRuns.incrementAndGet();
        throw new IOException("fma peak: the child JVM exited with status 1: "
                + "java.lang.module.FindException: Module jdk.incubator.vector not found");
    };

    @Test
    void aFreshLoop_isMeasuredDespiteTheCache_andReplacesIt_whileTheMatmulIsRead(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        PeakEstimate.estimate(2, cache, fma(150.0), gemm(130.0), null, null);
        StringWriter log = new StringWriter();
        PeakEstimate fresh = PeakEstimate.estimate(2, cache, fma(180.0), gemm(1), null, new PrintWriter(log), PeakEstimate.Fresh.LOOP);
        assertEquals(180.0, fresh.gflops(), 1e-9);
        assertEquals(130.0, fresh.gemmGflops(), 1e-9);
        assertTrue(log.toString().contains("threads=2 (in this run; cached in"), log.toString());
        assertEquals(2, fmaRuns.get());
        assertEquals(1, gemmRuns.get());
        assertEquals(180.0, PeakEstimate.estimate(2, cache, fma(1), gemm(1), null, null).gflops(), 1e-9);
        assertEquals(2, fmaRuns.get(), "the replaced figure is read back from the cache");
    }

    @Test
    void aFreshLoopBelowTheCachedFigure_countsForItsRun_butTheCacheKeepsTheHigher(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        PeakEstimate.estimate(2, cache, fma(180.0), gemm(130.0), null, null);
        PeakEstimate loaded = PeakEstimate.estimate(2, cache, fma(150.0), gemm(1), null, null, PeakEstimate.Fresh.LOOP);
        assertEquals(150.0, loaded.gflops(), 1e-9, "% of peak divides two figures of the same run");
        assertTrue(loaded.source().endsWith("keeps the higher 180.0"), loaded.source());
        assertEquals(180.0, PeakEstimate.estimate(2, cache, fma(1), gemm(1), null, null).gflops(), 1e-9);
        assertEquals(2, fmaRuns.get(), "the kept figure is read back from the cache");
    }

    @Test
    void bothFresh_measuresTheMatmulDespiteTheCache_andTheCacheKeepsTheHigherOfEach(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        PeakEstimate.estimate(2, cache, fma(150.0), gemm(70.0), null, null);   // a matmul measured under load
        PeakEstimate now = PeakEstimate.estimate(2, cache, fma(140.0), gemm(130.0), null, null, PeakEstimate.Fresh.BOTH);
        assertEquals(140.0, now.gflops(), 1e-9);
        assertEquals(130.0, now.gemmGflops(), 1e-9, "the run's own matmul figure, not the cached 70");
        assertEquals(2, fmaRuns.get());
        assertEquals(2, gemmRuns.get());
        PeakEstimate read = PeakEstimate.estimate(2, cache, fma(1), gemm(1), null, null);
        assertEquals(150.0, read.gflops(), 1e-9, "the cache keeps the higher loop figure");
        assertEquals(130.0, read.gemmGflops(), 1e-9, "and the higher matmul figure");
        PeakEstimate lower = PeakEstimate.estimate(2, cache, fma(150.0), gemm(100.0), null, null, PeakEstimate.Fresh.BOTH);
        assertEquals(100.0, lower.gemmGflops(), 1e-9);
        assertTrue(lower.gemmSource().endsWith("keeps the higher 130.0"), lower.gemmSource());
        assertEquals(130.0, PeakEstimate.estimate(2, cache, fma(1), gemm(1), null, null).gemmGflops(), 1e-9);
        assertEquals(3, gemmRuns.get(), "read back from the cache without measuring");
    }

    @Test
    void measuresBothOnceThenReadsThemFromTheCache(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        StringWriter log = new StringWriter();
        PeakEstimate first = PeakEstimate.estimate(2, cache, fma(160.5), gemm(132.6), null, new PrintWriter(log));
        assertEquals(160.5, first.gflops(), 1e-9);
        assertEquals(132.6, first.gemmGflops(), 1e-9);
        assertTrue(first.source().startsWith("measured now: 256-bit FMA loop"), first.source());
        assertTrue(log.toString().startsWith("measuring the fp32 peak of " + CacheFile.cpuModel() + " threads=2"), log.toString());
        assertTrue(log.toString().contains("peak: 160.5 GFLOP/s (measured now"), log.toString());
        assertTrue(log.toString().contains("GEMM achievable: 132.6 GFLOP/s (measured now"), log.toString());

        StringWriter quiet = new StringWriter();
        PeakEstimate second = PeakEstimate.estimate(2, cache, fma(1), gemm(1), null, new PrintWriter(quiet));
        assertEquals(160.5, second.gflops(), 1e-9);
        assertEquals(132.6, second.gemmGflops(), 1e-9);
        assertEquals("160.5 GFLOP/s (FMA loop, cached in " + cache.file() + ")", second.describe());
        assertEquals("132.6 GFLOP/s (oneDNN matmul, cached in " + cache.file() + ")", second.describeGemm());
        assertEquals("", quiet.toString());
        assertEquals(1, fmaRuns.get());
        assertEquals(1, gemmRuns.get());
    }

    @Test
    void anOldMatmulEntryIsNotReadAsTheFmaPeak(@TempDir Path dir) {
        Path f = dir.resolve("peak.properties");
        PeakCache cache = new PeakCache(f);
        // The entry an earlier conv4j wrote: the matmul figure under a key without a method.
        cache.put(CacheFile.cpuModel() + " threads=2", 132.6);
        PeakEstimate e = PeakEstimate.estimate(2, cache, fma(161.0), gemm(130.0), null, null);
        assertEquals(161.0, e.gflops(), 1e-9);
        assertEquals(130.0, e.gemmGflops(), 1e-9);
        assertEquals(1, fmaRuns.get());
        assertEquals(1, gemmRuns.get());
        assertEquals(161.0, cache.get(PeakCache.machineKey(2, PeakEstimate.FMA_METHOD)).getAsDouble(), 1e-9);
        assertEquals(130.0, cache.get(PeakCache.machineKey(2, PeakEstimate.GEMM_METHOD)).getAsDouble(), 1e-9);
        // Another thread count is measured anew.
        PeakEstimate one = PeakEstimate.estimate(1, cache, fma(80.0), gemm(70.0), null, null);
        assertEquals(80.0, one.gflops(), 1e-9);
        assertEquals(2, fmaRuns.get());
        // The old entry is left alone, never read.
        assertEquals(132.6, cache.get(CacheFile.cpuModel() + " threads=2").getAsDouble(), 1e-9);
    }

    @Test
    void withoutTheLoopThePeakIsTheMatmulFigureAndIsNotCachedAsTheLoop(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        StringWriter log = new StringWriter();
        PeakEstimate e = PeakEstimate.estimate(2, cache, fmaFails, gemm(132.6), null, new PrintWriter(log));
        assertEquals(132.6, e.gflops(), 1e-9);
        assertEquals(132.6, e.gemmGflops(), 1e-9);
        assertEquals("132.6 GFLOP/s (oneDNN matmul, a lower bound: the FMA loop could not run (fma peak: the child JVM "
                + "exited with status 1: java.lang.module.FindException: Module jdk.incubator.vector not found))", e.describe());
        assertTrue(log.toString().contains("peak: the FMA loop could not run (fma peak: the child JVM exited with status 1: "
                + "java.lang.module.FindException: Module jdk.incubator.vector not found); using the oneDNN matmul figure, "
                + "a lower bound"), log.toString());
        assertFalse(cache.get(PeakCache.machineKey(2, PeakEstimate.FMA_METHOD)).isPresent());
        // The next run tries the loop again, and reads the matmul from the cache.
        PeakEstimate again = PeakEstimate.estimate(2, cache, fma(160.0), gemm(1), null, null);
        assertEquals(160.0, again.gflops(), 1e-9);
        assertEquals(132.6, again.gemmGflops(), 1e-9);
        assertEquals(2, fmaRuns.get());
        assertEquals(1, gemmRuns.get());
    }

    @Test
    void aLoopFigureBelowTheMatmulIsMeasuredOnceMore(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        double[] figures = {90.0, 150.0};
        PeakEstimate.Measure busyThenQuiet = () -> {
            int run = fmaRuns.getAndIncrement();
            return new PeakEstimate.Measured(figures[run], "256-bit FMA loop, run " + run);
        };
        PeakEstimate e = PeakEstimate.estimate(2, cache, busyThenQuiet, gemm(130.0), null, null);
        assertEquals(150.0, e.gflops(), 1e-9);
        assertEquals(2, fmaRuns.get());
        assertEquals(150.0, cache.get(PeakCache.machineKey(2, PeakEstimate.FMA_METHOD)).getAsDouble(), 1e-9);
        assertTrue(e.source().contains("second try"), e.source());
    }

    @Test
    void aLoopFigureStayingBelowTheMatmulIsKeptWithAWarning(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        StringWriter log = new StringWriter();
        PeakEstimate e = PeakEstimate.estimate(2, cache, fma(90.0), gemm(130.0), null, new PrintWriter(log));
        assertEquals(90.0, e.gflops(), 1e-9);
        assertEquals(2, fmaRuns.get());
        assertTrue(e.source().endsWith("; below the matmul, so other work was running: delete the file on a quiet machine"),
                e.source());
        assertTrue(log.toString().contains("peak: the FMA loop measured 90.0 GFLOP/s, below the matmul's 130.0: other work "
                + "was running; delete " + cache.file() + " and measure again on a quiet machine"), log.toString());
        // A cached loop figure is not measured again, whatever the matmul says.
        PeakCache other = new PeakCache(dir.resolve("other.properties"));
        other.put(PeakCache.machineKey(2, PeakEstimate.FMA_METHOD), 50.0);
        PeakEstimate cached = PeakEstimate.estimate(2, other, fma(1), gemm(130.0), null, null);
        assertEquals(50.0, cached.gflops(), 1e-9);
        assertEquals(2, fmaRuns.get());
        assertEquals(2, gemmRuns.get());
    }

    @Test
    void withoutOneDnnTheLoopStillGivesThePeak(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        PeakEstimate e = PeakEstimate.estimate(2, cache, fma(160.0), null, "it is measured with oneDNN: no native library", null);
        assertEquals(160.0, e.gflops(), 1e-9);
        assertTrue(Double.isNaN(e.gemmGflops()));
        assertEquals("unknown (it is measured with oneDNN: no native library)", e.describeGemm());
    }

    @Test
    void withNeitherThePeakIsUnknown(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("peak.properties"));
        PeakEstimate e = PeakEstimate.estimate(2, cache, fmaFails, null, "it is measured with oneDNN: no native library", null);
        assertTrue(Double.isNaN(e.gflops()));
        assertTrue(e.describe().startsWith("unknown (the FMA loop could not run (fma peak: the child JVM exited with status 1"),
                e.describe());
        assertTrue(e.describe().endsWith("and no matmul figure: it is measured with oneDNN: no native library)"), e.describe());
        PeakEstimate failed = PeakEstimate.estimate(2, cache, fmaFails, () -> {
            throw new IllegalStateException("out of memory\nsecond line");
        }, null, null);
        assertTrue(Double.isNaN(failed.gflops()));
        assertEquals("unknown (the matmul failed: out of memory)", failed.describeGemm());
    }
}
