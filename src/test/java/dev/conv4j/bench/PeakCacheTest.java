package dev.conv4j.bench;

import dev.conv4j.CacheFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeakCacheTest {

    @Test
    void measuresOnceThenReadsTheCachePerKey(@TempDir Path dir) {
        PeakCache cache = new PeakCache(dir.resolve("c/peak.properties"));
        AtomicInteger measured = new AtomicInteger();
        assertEquals(312.5, cache.getOrMeasure("cpu X threads=2", () -> { measured.incrementAndGet(); return 312.5; }), 1e-9);
        assertEquals(312.5, cache.getOrMeasure("cpu X threads=2", () -> { measured.incrementAndGet(); return 1.0; }), 1e-9);
        assertEquals(1, measured.get());
        // Another thread count is another entry; the first stays.
        assertEquals(150.0, cache.getOrMeasure("cpu X threads=1", () -> { measured.incrementAndGet(); return 150.0; }), 1e-9);
        assertEquals(2, measured.get());
        assertEquals(312.5, new PeakCache(dir.resolve("c/peak.properties")).get("cpu X threads=2").getAsDouble(), 1e-9);
    }

    @Test
    void aDamagedEntryIsMeasuredAgain(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("peak.properties");
        Files.writeString(f, "k=not-a-number\n");
        PeakCache cache = new PeakCache(f);
        assertFalse(cache.get("k").isPresent());
        assertEquals(99.0, cache.getOrMeasure("k", () -> 99.0), 1e-9);
    }

    @Test
    void machineKeyNamesTheCpuThreadsAndMethod() {
        String k = PeakCache.machineKey(2, "fma-loop");
        assertEquals(CacheFile.cpuModel() + " threads=2 method=fma-loop", k);
        assertTrue(CacheFile.cpuModel().length() > 0, k);
        assertFalse(k.equals(PeakCache.machineKey(2, "matmul-2048")), k);
        assertEquals("threads: must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> PeakCache.machineKey(0, "fma-loop")).getMessage());
        assertEquals("method: must be letters, digits, '.', '_' or '-', got 'fma loop'",
                assertThrows(IllegalArgumentException.class, () -> PeakCache.machineKey(2, "fma loop")).getMessage());
    }

    @Test
    void rejectsANonPositivePeak(@TempDir Path dir) {
        assertEquals("peak: must be a positive number of GFLOP/s, got -1.0", assertThrows(IllegalArgumentException.class,
                () -> new PeakCache(dir.resolve("p")).put("k", -1)).getMessage());
    }

    @Test
    void estimateReadsTheCacheAtItsDefaultLocation(@TempDir Path dir) {
        String old = System.getProperty("conv4j.cacheDir");
        System.setProperty("conv4j.cacheDir", dir.toString());
        try {
            PeakCache cache = PeakCache.atDefaultLocation();
            assertEquals(dir.resolve("peak.properties"), cache.file());
            cache.put(PeakCache.machineKey(3, PeakEstimate.FMA_METHOD), 123.4);
            cache.put(PeakCache.machineKey(3, PeakEstimate.GEMM_METHOD), 98.7);
            PeakEstimate e = PeakEstimate.forThreads(3, null);
            assertEquals(123.4, e.gflops(), 1e-9);
            assertEquals("123.4 GFLOP/s (FMA loop, cached in " + cache.file() + ")", e.describe());
            assertEquals(98.7, e.gemmGflops(), 1e-9);
            assertEquals("98.7 GFLOP/s (oneDNN matmul, cached in " + cache.file() + ")", e.describeGemm());
        } finally {
            if (old == null) {
                System.clearProperty("conv4j.cacheDir");
            } else {
                System.setProperty("conv4j.cacheDir", old);
            }
        }
    }
}
