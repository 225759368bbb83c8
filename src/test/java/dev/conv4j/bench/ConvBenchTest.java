package dev.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.onednn.ForwardingPlan;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
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
    /** A row says the threads a direction ran on: the plan's own count where it chose one, else the process's. */
    @Test
    void theThreadsColumn_isThePlansOwnCount_whereItChoseOne() {
        Engine oneThreadBackwardData = new Engine() {
            @Override public String name() { return "one-thread backward-data"; }
            @Override public Plan prepare(ConvSpec s, Shape x, PlanOptions options) {
                return new ForwardingPlan(Engines.reference().prepare(s, x, options)) {
                    @Override public int threads(Direction dir) { return dir == Direction.BWD_D ? 1 : 0; }
                };
            }
        };
        ConvBench bench = new ConvBench(new ConvBench.Setup(oneThreadBackwardData, PlanOptions.DEFAULT, "auto", 2, 100.0,
                new Sampler(TINY), null));
        List<Integer> threads = new ArrayList<>();
        try (ConvBench.Prepared p = bench.prepare("mb1ic2ih5oc3oh5kh3ph1", ConvSpec.conv2d(2, 3, 3).padding(1).build(),
                Shape.of(1, 2, 5, 5), true)) {
            for (Direction d : Direction.values()) {
                threads.add(bench.measure(p, d).threads());
            }
        }
        assertEquals(List.of(2, 1, 2), threads);
    }

    /**
     * Backward-weights is timed as the third pass of a training step: forward and
     * backward-data run before every run (untimed), each on an input marked modified, so a
     * reorder of its own that backward-weights needs is never skipped as already done.
     */
    @Test
    void backwardWeightsRunsAfterTheStepsForwardAndBackwardDataOnNewInputs() {
        ConvSpec spec = ConvSpec.conv2d(2, 3, 3).padding(1).build();
        Shape src = Shape.of(1, 2, 5, 5);
        List<String> log = new ArrayList<>();
        Engine logging = new Engine() {
            @Override public String name() { return "logging"; }
            @Override public Plan prepare(ConvSpec s, Shape x, PlanOptions options) {
                Plan inner = Engines.reference().prepare(s, x, options);
                return new Plan() {
                    @Override public ConvSpec spec() { return inner.spec(); }
                    @Override public Shape srcShape() { return inner.srcShape(); }
                    @Override public Shape dstShape() { return inner.dstShape(); }
                    @Override public Shape weiShape() { return inner.weiShape(); }
                    @Override public Shape biaShape() { return inner.biaShape(); }
                    @Override public String engineName() { return name(); }
                    @Override public String implementation(Direction dir) { return inner.implementation(dir); }
                    @Override public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
                        log.add("fwd x@" + x.version());
                        inner.forward(x, w, b, y);
                    }
                    @Override public void backwardData(Tensor dy, Tensor w, Tensor dx) {
                        log.add("bwd_d dy@" + dy.version());
                        inner.backwardData(dy, w, dx);
                    }
                    @Override public void backwardWeights(Tensor x, Tensor dy, Tensor dw, Tensor db) {
                        log.add("bwd_w x@" + x.version() + " dy@" + dy.version());
                        inner.backwardWeights(x, dy, dw, db);
                    }
                    @Override public void close() { inner.close(); }
                };
            }
        };
        ConvBench bench = new ConvBench(new ConvBench.Setup(logging, PlanOptions.DEFAULT, "any", 1, 100.0,
                new Sampler(TINY), null));
        BenchRow row;
        try (ConvBench.Prepared p = bench.prepare("mb1ic2ih5oc3oh5kh3ph1", spec, src, true)) {
            row = bench.measure(p, Direction.BWD_W);
        }
        assertEquals(3, row.stats().count());
        List<String> expected = new ArrayList<>();
        for (int run = 1; run <= 1 + 3; run++) {   // one warm-up run, three timed
            int version = 1 + run;                  // filling the tensors made version 1
            expected.add("fwd x@" + version);
            expected.add("bwd_d dy@" + version);
            expected.add("bwd_w x@" + version + " dy@" + version);
        }
        assertEquals(expected, log);
    }
}
