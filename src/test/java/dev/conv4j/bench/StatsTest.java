package dev.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void oddCountTakesMiddleSample() {
        Stats s = Stats.ofNanos(5_000_000, 1_000_000, 3_000_000, 9_000_000, 2_000_000);
        assertEquals(5, s.count());
        assertEquals(3.0, s.medianMs(), 1e-12);
        assertEquals(1.0, s.minMs(), 1e-12);
        assertEquals(9.0, s.maxMs(), 1e-12);
    }

    @Test
    void evenCountAveragesTheTwoMiddleSamples() {
        Stats s = Stats.ofNanos(4_000_000, 1_000_000, 2_000_000, 100_000_000);
        assertEquals(3.0, s.medianMs(), 1e-12);
        assertEquals(1.0, s.minMs(), 1e-12);
        assertEquals(100.0, s.maxMs(), 1e-12);
    }

    @Test
    void usesOnlyTheFirstNSamplesAndLeavesTheArrayAlone() {
        long[] t = {3_000, 1_000, 2_000, 0, 0};
        Stats s = Stats.ofNanos(t, 3);
        assertEquals(0.002, s.medianMs(), 1e-15);
        assertEquals(0.001, s.minMs(), 1e-15);
        assertEquals(0.003, s.maxMs(), 1e-15);
        assertEquals(3_000, t[0]);
    }

    @Test
    void singleSample() {
        Stats s = Stats.ofNanos(7_000_000);
        assertEquals(1, s.count());
        assertEquals(7.0, s.medianMs(), 1e-12);
        assertEquals(7.0, s.minMs(), 1e-12);
        assertEquals(7.0, s.maxMs(), 1e-12);
    }

    @Test
    void gflopsIsFlopsOverMedian() {
        // 2e9 flops in 4 ms = 500 GFLOP/s.
        assertEquals(500.0, Stats.ofNanos(4_000_000).gflops(2e9), 1e-9);
    }

    @Test
    void rejectsEmptyAndInconsistentStats() {
        assertEquals("samples: need 1..2 samples, got 0",
                assertThrows(IllegalArgumentException.class, () -> Stats.ofNanos(new long[2], 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Stats(3, 1.0, 2.0, 3.0));
        assertThrows(IllegalArgumentException.class, () -> new Stats(0, 1.0, 1.0, 1.0));
    }
}
