package dev.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench loop on the reference engine and a tiny problem, with a tiny budget. */
class ConvBenchTest {

    static final Sampler.Policy TINY = new Sampler.Policy(1, 0, 3, 3, 0);

    @Test
    void timesEveryDirectionWithItsFlopsAndKernel() {
        ConvSpec spec = ConvSpec.conv2d(2, 3, 3).padding(1).build();
        Shape src = Shape.of(1, 2, 5, 5);
        ConvBench bench = new ConvBench(new ConvBench.Setup(Engines.reference(), PlanOptions.DEFAULT, "any", 1, 100.0,
                new Sampler(TINY), null));
        List<BenchRow> rows = new ArrayList<>();
        try (ConvBench.Prepared p = bench.prepare("mb1ic2ih5oc3oh5kh3ph1", spec, src, true)) {
            for (Direction d : Direction.values()) {
                rows.add(bench.measure(p, d));
            }
        }
        assertEquals(3, rows.size());
        for (BenchRow r : rows) {
            assertEquals(3, r.stats().count());
            assertEquals("reference", r.engine());
            assertEquals(1, r.mb());
            assertEquals(ConvShapes.flops(spec, src, r.dir()) / (r.stats().medianMs() * 1e6), r.gflops(), 1e-9);
            assertEquals(r.gflops(), r.pctPeak(), 1e-9);   // peak 100
            assertNull(r.baseline());
            assertTrue(!r.impl().isEmpty());
        }
    }

    @Test
    void baselineIsInterleavedAndGivesAnOverhead() {
        ConvSpec spec = ConvSpec.conv2d(2, 2, 1).build();
        Shape src = Shape.of(1, 2, 3, 3);
        int[] created = {0};
        int[] runs = {0};
        int[] closed = {0};
        RawBaseline.Factory f = (s, x, d, training) -> {
            created[0]++;
            return new RawBaseline() {
                @Override public void run() { runs[0]++; }
                @Override public String implementation() { return "fake"; }
                @Override public void close() { closed[0]++; }
            };
        };
        ConvBench bench = new ConvBench(new ConvBench.Setup(Engines.reference(), PlanOptions.DEFAULT, "any", 1, Double.NaN,
                new Sampler(TINY), f));
        BenchRow r;
        try (ConvBench.Prepared p = bench.prepare("mb1ic2ih3oc2oh3kh1", spec, src, false)) {
            r = bench.measure(p, Direction.FWD);
        }
        assertEquals(1, created[0]);
        assertEquals(1 + 3, runs[0]);   // one warm-up, three timed
        assertEquals(1, closed[0]);
        assertEquals(r.stats().medianMs() / r.baseline().medianMs(), r.overhead(), 1e-12);
        assertTrue(Double.isNaN(r.pctPeak()));
    }
}
