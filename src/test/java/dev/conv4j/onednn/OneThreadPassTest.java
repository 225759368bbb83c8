package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.dnnl.global.dnnl;
import org.junit.jupiter.api.Test;

/**
 * A pass on a thread count of its own ({@link OpenMpThreads}): OpenMP's count changes for the
 * calling thread only and comes back after each call; every candidate computes the
 * reference's answer on one thread, next to passes on the process's threads; and AUTO times
 * the candidates on one thread only for a pass of a few microseconds.
 */
class OneThreadPassTest {
    private static final long SEED = 20261126L;

    @Test void thisBuildsOpenMp_isControllable() {
        assertEquals(dnnl.DNNL_RUNTIME_OMP, dnnl.dnnl_version().cpu_runtime(), "the JavaCPP presets' oneDNN uses OpenMP");
        assertTrue(OpenMpThreads.available(), "omp_set_num_threads of the libgomp oneDNN loaded");
    }

    @Test void enter_setsTheCallingThreadsCountOnly_andExitRestoresIt() throws InterruptedException {
        int process = OpenMpThreads.current();
        assumeTrue(process > 1, "one processor: nothing to lower");
        int before = OpenMpThreads.enter(1);
        AtomicInteger other = new AtomicInteger();
        try {
            assertEquals(1, OpenMpThreads.current());
            Thread t = new Thread(() -> other.set(OpenMpThreads.current()));
            t.start();
            t.join();
        } finally {
            OpenMpThreads.exit(before);
        }
        assertEquals(process, other.get(), "another thread keeps the process's count");
        assertEquals(process, OpenMpThreads.current());
        assertEquals(0, OpenMpThreads.enter(0), "0 leaves the count alone");
        assertEquals(process, OpenMpThreads.current());
    }

    private record Case(ConvSpec spec, Shape src) {}

    private static final List<Case> CASES = List.of(
            new Case(ConvSpec.conv2d(16, 16, 3).padding(1).build(), Shape.of(2, 16, 7, 5)),
            new Case(ConvSpec.conv2d(16, 32, 1).build(), Shape.of(2, 16, 5, 6)),   // the matmul candidates apply
            new Case(ConvSpec.depthwise(2, 16, 1, 3).stride(2).padding(1).build(), Shape.of(1, 16, 9, 7)),
            new Case(ConvSpec.transposed(2, 8, 4, 3).stride(2).padding(1).build(), Shape.of(1, 8, 5, 6)),
            new Case(ConvSpec.conv1d(4, 8, 5).padding(2).build(), Shape.of(3, 4, 17)),
            // Strided 1x1 with few channels: on one thread oneDNN's jit_1x1 backward-weights
            // wrote past its scratchpad here (ConvPrimitives.defective).
            new Case(ConvSpec.conv2d(4, 6, 1).stride(2).build(), Shape.of(2, 4, 6, 4)));

    @Test void everyCandidateOnOneThread_matchesTheReference_besidePassesOnTheProcesssThreads() {
        int process = OpenMpThreads.current();
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Case c : CASES) {
            for (Layout tensors : Layout.values()) {
                PlanOptions options = PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO).withUserLayout(tensors);
                for (Candidate candidate : Candidate.values()) {
                    for (Direction dir : Direction.values()) {
                        if (candidate.matmul() && !Matmul1x1.applies(candidate, c.spec(), c.src(), tensors, dir)
                                || candidate == Candidate.GEMM_PARTS) {
                            continue;   // GEMM_PARTS splits a pass among two or more threads: none on one
                        }
                        LayoutChoice.clear();
                        for (Direction d : Direction.values()) {
                            LayoutChoice.remember(new LayoutChoice.Key(c.spec(), c.src(), d, tensors, true, false),
                                    d == dir ? new LayoutChoice.Choice(candidate, 0, 1) : new LayoutChoice.Choice(Candidate.ANY, 0));
                        }
                        String what = c.spec() + " " + tensors + " " + candidate + " " + dir.label();
                        try (OneDnnPlan plan = (OneDnnPlan) Engines.onednn().prepare(c.spec(), c.src(), options)) {
                            for (Direction d : Direction.values()) {
                                assertEquals(d == dir ? 1 : 0, plan.threads(d), what + ", threads of " + d.label());
                            }
                            Plan view = tensors == Layout.CHANNELS_LAST
                                    ? new ConvertingPlan(plan, ConvertingPlan.CHANNELS_LAST, what) : plan;
                            for (Direction d : Direction.values()) {
                                for (Result r : Parity.check(view, d, SEED + checked)) {
                                    if (r.status() == Status.FAILED) {
                                        failures.add(what + ", checked " + d.label() + ": " + r.describe());
                                    }
                                }
                            }
                            assertEquals(process, OpenMpThreads.current(), what + ": the count came back");
                            checked++;
                        }
                    }
                }
            }
        }
        LayoutChoice.clear();
        assertEquals(List.of(), failures);
        assertTrue(checked >= CASES.size() * 2 * 3 * 3, "plans checked: " + checked);
    }

    @Test void auto_timesOneThread_forAPassOfMicroseconds() {
        assumeTrue(OpenMpThreads.current() > 1, "one processor: nothing to lower");
        ConvSpec tiny = ConvSpec.conv2d(4, 4, 3).padding(1).build();
        Shape src = Shape.of(1, 4, 8, 9);   // a shape no other test uses
        long races = PassBuilder.ONE_THREAD_RACES.get();
        // A loaded machine may time the tiny layer above the limit: take timing out of the test.
        PassBuilder.oneThreadBelowNanos = Long.MAX_VALUE;
        try (OneDnnPlan p = (OneDnnPlan) Engines.onednn().prepare(tiny, src, PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO))) {
            for (Direction d : Direction.values()) {
                assertTrue(p.threads(d) == 0 || p.threads(d) == 1, d.label() + ": " + p.threads(d));
                LayoutChoice.Key key = new LayoutChoice.Key(tiny, src, d, PlanOptions.DEFAULT.userLayout(), true, false);
                assertEquals(p.threads(d), LayoutChoice.lookup(key).threads(), "the decision keeps its threads");
            }
        } finally {
            PassBuilder.oneThreadBelowNanos = PassBuilder.ONE_THREAD_BELOW_NANOS;
        }
        assertEquals(races + 3, PassBuilder.ONE_THREAD_RACES.get(), "every direction raced on one thread too");
    }

    @Test void oneThreadIsRaced_onlyBelowTheLimit_withMoreThanOneThread_andOpenMpAtHand() {
        long below = PassBuilder.ONE_THREAD_BELOW_NANOS - 1;
        assertTrue(PassBuilder.raceOnOneThread(below, true, 2));
        assertFalse(PassBuilder.raceOnOneThread(PassBuilder.ONE_THREAD_BELOW_NANOS, true, 2), "a longer pass");
        assertFalse(PassBuilder.raceOnOneThread(below, true, 1), "one thread already");
        assertFalse(PassBuilder.raceOnOneThread(below, false, 2), "no omp_set_num_threads");
    }
}
