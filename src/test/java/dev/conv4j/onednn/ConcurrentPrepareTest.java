package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.TestThreads;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Two threads preparing and running their own oneDNN plans at once, under every layout policy,
 * with the process-wide state they share in play: AUTO's decisions (forgotten now and then,
 * so that races run on both threads at once), the primitive cache switched off while one
 * thread steps through implementations, and passes on one OpenMP thread (every AUTO race also
 * timed on one thread) beside passes on the process's threads. Integer data, so every kernel
 * must give the reference's answer exactly; and a thread's OpenMP count is its own again after
 * every call.
 */
class ConcurrentPrepareTest {
    private static final int THREADS = 2;
    private static final int PLANS = 8;

    private record Case(ConvSpec spec, Shape src) {}

    private static final List<Case> CASES = List.of(
            new Case(ConvSpec.conv2d(16, 16, 3).padding(1).build(), Shape.of(2, 16, 7, 5)),
            new Case(ConvSpec.conv2d(16, 32, 1).build(), Shape.of(2, 16, 5, 6)),   // the matmul candidates too
            new Case(ConvSpec.depthwise(2, 16, 1, 3).stride(2).padding(1).build(), Shape.of(1, 16, 9, 7)),
            new Case(ConvSpec.transposed(2, 8, 4, 3).stride(2).padding(1).build(), Shape.of(1, 8, 5, 6)),
            new Case(ConvSpec.conv1d(4, 8, 5).padding(2).paddingMode(PaddingMode.REFLECT).build(), Shape.of(3, 4, 17)));

    /** One problem's inputs and the reference's results (dst, diff_src, diff_wei, diff_bia). */
    private record Expected(Tensor x, Tensor w, Tensor b, Tensor dy, List<float[]> results) {}

    @Test
    void twoThreadsPreparingAndRunningTheirOwnPlans_getExactResults() throws Exception {
        List<Expected> expected = new ArrayList<>();
        Random r = new Random(20261126L);
        for (Case c : CASES) {
            for (Layout l : Layout.values()) {
                Tensor x = ints(c.src(), l, r);
                Tensor w = ints(ConvShapes.wei(c.spec()), Layout.CHANNELS_FIRST, r);
                Tensor b = ints(ConvShapes.bia(c.spec()), Layout.CHANNELS_FIRST, r);
                Tensor dy = ints(c.spec().outputShape(c.src()), l, r);
                try (Plan p = Engines.reference().prepare(c.spec(), c.src(), PlanOptions.DEFAULT.withUserLayout(l))) {
                    expected.add(new Expected(x, w, b, dy, run(p, x, w, b, dy)));
                }
            }
        }
        long oneThreadBelow = PassBuilder.oneThreadBelowNanos;
        PassBuilder.oneThreadBelowNanos = Long.MAX_VALUE;   // every AUTO race also on one thread
        try {
            int total = TestThreads.onThreads(THREADS, 300, thread -> {
                int own = OpenMpThreads.current();
                Random pick = new Random(thread);
                int checked = 0;
                for (int i = 0; i < PLANS; i++) {
                    if (thread == 0 && i % 3 == 0) {
                        LayoutChoice.clear();   // the next AUTO plans race again, on both threads
                    }
                    int k = pick.nextInt(expected.size());
                    Case c = CASES.get(k / Layout.values().length);
                    Layout l = Layout.values()[k % Layout.values().length];
                    LayoutPolicy policy = LayoutPolicy.values()[(thread + i) % LayoutPolicy.values().length];
                    Expected e = expected.get(k);
                    PlanOptions options = PlanOptions.DEFAULT.withUserLayout(l).withLayout(policy);
                    try (Plan p = Engines.onednn().prepare(c.spec(), c.src(), options)) {
                        List<float[]> got = run(p, e.x(), e.w(), e.b(), e.dy());
                        for (int j = 0; j < got.size(); j++) {
                            assertArrayEquals(e.results().get(j), got.get(j), c + " " + l + " " + policy + " result " + j);
                        }
                        assertEquals(own, OpenMpThreads.current(), "the thread's OpenMP count after a call");
                        checked++;
                    }
                }
                return checked;
            });
            assertEquals(THREADS * PLANS, total);
        } finally {
            PassBuilder.oneThreadBelowNanos = oneThreadBelow;
        }
    }

    private static List<float[]> run(Plan p, Tensor x, Tensor w, Tensor b, Tensor dy) {
        Layout l = x.layout();
        Tensor y = Tensor.allocate(p.dstShape(), l);
        Tensor dx = Tensor.allocate(p.srcShape(), l);
        Tensor dw = Tensor.allocate(p.weiShape());
        Tensor db = Tensor.allocate(p.biaShape());
        p.forward(x, w, b, y);
        p.backwardData(dy, w, dx);
        p.backwardWeights(x, dy, dw, db);
        return List.of(y.toArray(), dx.toArray(), dw.toArray(), db.toArray());
    }

    /** Small integers: every sum is exact in float, whatever the order. */
    private static Tensor ints(Shape s, Layout l, Random r) {
        Tensor t = Tensor.allocate(s, l);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, r.nextInt(5) - 2);
        }
        return t;
    }
}
