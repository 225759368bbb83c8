package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conv4j.ConvSpec;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A channels-last weight tensor ({@code [OC, K..., IC/G]} in storage) is converted to
 * channels-first once per change for all of a plan's passes: forward and backward-data give
 * what the same weights in channels-first storage give, before and after the tensor changes in
 * place, and an unchanged tensor is not converted again.
 */
class ChannelsLastWeightsTest {
    private static final ConvSpec SPEC = ConvSpec.conv2d(8, 12, 3).padding(1).groups(2).build();
    private static final Shape SRC = Shape.of(2, 8, 6, 7);

    private static Tensor random(Shape s, SplittableRandom rnd) {
        Tensor t = Tensor.allocate(s);
        for (int i = 0; i < t.size(); i++) {
            t.buffer().put(i, (float) rnd.nextDouble(-1, 1));
        }
        t.markModified();
        return t;
    }

    /** Forward and backward-data of {@code plan} with weights {@code w}, one after the other. */
    private static float[][] run(OneDnnPlan plan, Tensor x, Tensor w, Tensor b, Tensor dy) {
        Tensor y = Tensor.allocate(plan.dstShape());
        Tensor dx = Tensor.allocate(SRC);
        plan.forward(x, w, b, y);
        plan.backwardData(dy, w, dx);
        return new float[][] {y.toArray(), dx.toArray()};
    }

    @Test void convertedOncePerChange_forEveryPass() {
        SplittableRandom rnd = new SplittableRandom(20261126L);
        for (LayoutPolicy policy : new LayoutPolicy[] {LayoutPolicy.ANY, LayoutPolicy.CHANNELS_LAST}) {
            try (OneDnnPlan plan = (OneDnnPlan) Engines.onednn().prepare(SPEC, SRC, PlanOptions.DEFAULT.withLayout(policy));
                 OneDnnPlan check = (OneDnnPlan) Engines.onednn().prepare(SPEC, SRC, PlanOptions.DEFAULT.withLayout(policy))) {
                Tensor x = random(SRC, rnd);
                Tensor w = random(plan.weiShape(), rnd);
                Tensor b = random(plan.biaShape(), rnd);
                Tensor dy = random(plan.dstShape(), rnd);
                Tensor wLast = w.toLayout(Layout.CHANNELS_LAST);

                float[][] expected = run(check, x, w, b, dy);
                float[][] got = run(plan, x, wLast, b, dy);
                assertArrayEquals(expected[0], got[0], policy + " forward");
                assertArrayEquals(expected[1], got[1], policy + " backward-data");
                assertEquals(1, plan.weightCopies, policy + ": one conversion serves both passes");

                run(plan, x, wLast, b, dy);
                assertEquals(1, plan.weightCopies, policy + ": an unchanged tensor is not converted again");

                // Changed in place (same tensor, new version): converted again, and both passes see it.
                for (int i = 0; i < w.size(); i++) {
                    w.buffer().put(i, -0.5f * w.buffer().get(i) + 0.125f);
                }
                w.markModified();
                wLast.copyFrom(w);
                expected = run(check, x, w, b, dy);
                got = run(plan, x, wLast, b, dy);
                assertArrayEquals(expected[0], got[0], policy + " forward after the change");
                assertArrayEquals(expected[1], got[1], policy + " backward-data after the change");
                assertEquals(2, plan.weightCopies, policy + ": converted again after the change");
            }
        }
    }
}
