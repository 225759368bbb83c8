package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Passes computed in slices of the minibatch ({@link Pass#slices}): every direction's results
 * are the reference's (activations a slice at a time, the weight and bias gradients summed over
 * the slices), in every rank, with groups, stride and dilation, with and without bias, on both
 * tensor layouts, on heap tensors as on direct ones; and only what can be sliced is.
 */
class SlicedPassTest {
    private static final long SEED = 20261126L;

    private record Case(ConvSpec spec, Shape src, int images) {}

    private static final List<Case> CASES = List.of(
            new Case(ConvSpec.conv2d(16, 16, 3).padding(1).build(), Shape.of(4, 16, 7, 5), 2),
            new Case(ConvSpec.conv2d(16, 16, 3).padding(1).build(), Shape.of(8, 16, 6, 6), 4),
            new Case(ConvSpec.conv2d(3, 8, 7).stride(2).padding(3).build(), Shape.of(4, 3, 15, 13), 2),   // conv1-like
            new Case(ConvSpec.conv2d(8, 16, 3).groups(2).dilation(2).padding(2).bias(false).build(), Shape.of(6, 8, 9, 9), 2),
            new Case(ConvSpec.depthwise(2, 16, 1, 3).stride(2).padding(1).build(), Shape.of(4, 16, 9, 7), 2),
            new Case(ConvSpec.conv2d(16, 32, 1).stride(2).build(), Shape.of(4, 16, 8, 8), 2),
            new Case(ConvSpec.conv1d(4, 8, 5).padding(2).build(), Shape.of(4, 4, 17), 2),
            new Case(ConvSpec.conv3d(4, 8, 3).padding(1).build(), Shape.of(4, 4, 5, 6, 5), 2));

    @AfterEach void forget() {
        LayoutChoice.clear();
    }

    /** An AUTO plan whose every direction runs in slices of {@code images}. */
    private static OneDnnPlan slicedPlan(ConvSpec spec, Shape src, Layout tensors, int images) {
        LayoutChoice.clear();
        for (Direction d : Direction.values()) {
            LayoutChoice.remember(new LayoutChoice.Key(spec, src, d, tensors, true, false),
                    new LayoutChoice.Choice(Candidate.ANY, 0, 0, images));
        }
        return (OneDnnPlan) Engines.onednn().prepare(spec, src, PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO).withUserLayout(tensors));
    }

    @Test void everyDirectionInSlices_matchesTheReference() {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Case c : CASES) {
            for (Layout tensors : Layout.values()) {
                String what = c.spec() + " on " + c.src() + " " + tensors + " in slices of " + c.images();
                try (OneDnnPlan plan = slicedPlan(c.spec(), c.src(), tensors, c.images())) {
                    Plan view = tensors == Layout.CHANNELS_LAST ? new ConvertingPlan(plan, ConvertingPlan.CHANNELS_LAST, what) : plan;
                    for (Direction dir : Direction.values()) {
                        assertTrue(plan.implementation(dir).endsWith("(in slices of " + c.images() + " images)"),
                                what + ": " + plan.implementation(dir));
                        for (int run = 0; run < 2; run++) {   // twice: backward-weights sums over the slices again, from zero
                            for (Result r : Parity.check(view, dir, SEED + checked)) {
                                if (r.status() != Status.PASSED) {
                                    failures.add(what + " " + dir.label() + ", run " + run + ": " + r.describe());
                                }
                            }
                        }
                        checked++;
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(CASES.size() * 2 * 3, checked);
    }

    /**
     * A strided 1×1 layer's backward-weights as a matmul or {@code sgemm} product in slices (the
     * source gathered a slice at a time, the weight and bias gradients summed over the slices),
     * and its forward as a matmul in slices: the reference's results, with and without bias, run twice.
     */
    @Test void gatheredProductsInSlices_matchTheReference() {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (boolean bias : new boolean[] {true, false}) {
            ConvSpec spec = ConvSpec.conv2d(24, 40, 1).stride(2).bias(bias).build();
            Shape src = Shape.of(6, 24, 8, 6);
            for (Candidate c : new Candidate[] {Candidate.GEMM, Candidate.GEMM_TRANSPOSED, Candidate.MATMUL,
                    Candidate.MATMUL_TRANSPOSED}) {
                for (int images : new int[] {2, 3}) {
                    String what = c + " on " + spec + " " + src + " in slices of " + images;
                    LayoutChoice.clear();
                    for (Direction d : Direction.values()) {   // backward-data untimed, on oneDNN's first choice
                        LayoutChoice.remember(new LayoutChoice.Key(spec, src, d, Layout.CHANNELS_LAST, true, false),
                                d == Direction.BWD_D ? new LayoutChoice.Choice(Candidate.ANY, 0) : new LayoutChoice.Choice(c, 0, 0, images));
                    }
                    try (OneDnnPlan plan = (OneDnnPlan) Engines.onednn().prepare(spec, src,
                            PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO).withUserLayout(Layout.CHANNELS_LAST))) {
                        assertEquals(c, plan.candidate(Direction.BWD_W), what);
                        Plan view = new ConvertingPlan(plan, ConvertingPlan.CHANNELS_LAST, what);
                        for (Direction dir : new Direction[] {Direction.FWD, Direction.BWD_W}) {
                            assertTrue(plan.candidate(dir).matmul(), what + " " + dir.label());
                            assertTrue(plan.implementation(dir).endsWith("gathered stride 2) (in slices of " + images + " images)")
                                    || plan.implementation(dir).endsWith("diff_wei transposed) (in slices of " + images + " images)"),
                                    what + " " + dir.label() + ": " + plan.implementation(dir));
                            for (int run = 0; run < 2; run++) {
                                for (Result r : Parity.check(view, dir, SEED + checked)) {
                                    if (r.status() != Status.PASSED) {
                                        failures.add(what + " " + dir.label() + ", run " + run + ": " + r.describe());
                                    }
                                }
                            }
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(2 * 4 * 2 * 2, checked);
    }

    /** A heap tensor is copied in and out a slice at a time: the same results as from direct tensors, bit for bit. */
    @Test void heapTensors_giveTheSameResultsAsDirectOnes() {
        ConvSpec spec = ConvSpec.conv2d(16, 16, 3).padding(1).build();
        Shape src = Shape.of(4, 16, 7, 5);
        try (OneDnnPlan plan = slicedPlan(spec, src, Layout.CHANNELS_FIRST, 2)) {
            SplittableRandom rnd = new SplittableRandom(SEED);
            float[] x = new float[(int) src.elementCount()];
            float[] dy = new float[(int) plan.dstShape().elementCount()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextDouble(-1, 1);
            }
            for (int i = 0; i < dy.length; i++) {
                dy[i] = (float) rnd.nextDouble(-1, 1);
            }
            float[][] results = new float[2][];
            for (int heap = 0; heap < 2; heap++) {
                Tensor tx = heap == 1 ? Tensor.wrap(x.clone(), src.dims()) : Tensor.allocate(src);
                Tensor tdy = heap == 1 ? Tensor.wrap(dy.clone(), plan.dstShape().dims()) : Tensor.allocate(plan.dstShape());
                if (heap == 0) {
                    tx.buffer().put(0, x);
                    tdy.buffer().put(0, dy);
                }
                Tensor w = Tensor.allocate(plan.weiShape());
                w.fill(0.25f);
                Tensor b = Tensor.allocate(plan.biaShape());
                b.fill(-0.5f);
                Tensor y = output(plan.dstShape(), heap == 1);
                Tensor dx = output(src, heap == 1);
                Tensor dw = output(plan.weiShape(), heap == 1);
                Tensor db = output(plan.biaShape(), heap == 1);
                plan.forward(tx, w, b, y);
                plan.backwardData(tdy, w, dx);
                plan.backwardWeights(tx, tdy, dw, db);
                float[] all = new float[y.size() + dx.size() + dw.size() + db.size()];
                int at = 0;
                for (Tensor t : new Tensor[] {y, dx, dw, db}) {
                    System.arraycopy(t.toArray(), 0, all, at, t.size());
                    at += t.size();
                }
                results[heap] = all;
            }
            assertArrayEquals(results[0], results[1]);
        }
    }

    private static Tensor output(Shape shape, boolean heap) {
        return heap ? Tensor.wrap(new float[(int) shape.elementCount()], shape.dims()) : Tensor.allocate(shape);
    }

    @Test void onlyConvolutionsOfTwoSlicesOrMore_areSliced() {
        ConvSpec plain = ConvSpec.conv2d(4, 4, 3).padding(1).build();
        DnnlMapping m = DnnlMapping.of(plain, Shape.of(8, 4, 6, 6), Layout.CHANNELS_FIRST);
        assertTrue(PassBuilder.sliceable(m, 8, 2));
        assertTrue(PassBuilder.sliceable(m, 8, 4));
        assertFalse(PassBuilder.sliceable(m, 8, 8), "one slice is the whole");
        assertFalse(PassBuilder.sliceable(m, 6, 4), "slices of equal size only");
        assertFalse(PassBuilder.sliceable(DnnlMapping.of(ConvSpec.transposed(2, 4, 4, 3).stride(2).build(),
                Shape.of(8, 4, 5, 5), Layout.CHANNELS_FIRST), 8, 2), "transposed");
        assertFalse(PassBuilder.sliceable(DnnlMapping.of(ConvSpec.conv2d(4, 4, 3).padding(1).paddingMode(PaddingMode.REFLECT).build(),
                Shape.of(8, 4, 6, 6), Layout.CHANNELS_FIRST), 8, 2), "padded in Java");
    }

    @Test void aSliceDecisionForWhatCannotBeSliced_isRefused() {
        ConvSpec spec = ConvSpec.transposed(2, 4, 4, 3).stride(2).build();
        Shape src = Shape.of(4, 4, 5, 5);
        LayoutChoice.remember(new LayoutChoice.Key(spec, src, Direction.FWD, Layout.CHANNELS_FIRST, true, false),
                new LayoutChoice.Choice(Candidate.ANY, 0, 0, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Engines.onednn().prepare(spec, src, PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO)));
        assertTrue(e.getMessage().contains("cannot run in slices of 2 images"), e.getMessage());
    }
}
