package dev.conv4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gradient and adjoint checks catch wrong backward passes: each row plants one bug in an
 * otherwise correct reference plan and expects both checks to fail, while the same plan
 * without the bug passes them. The gradient check compares element by element and catches
 * one element off by 1e-4 (gradients here are of order 1; its bound is about 1e-5 for the
 * input and weights, wider for a bias, which moves every output of its channel); the adjoint
 * identity is one sum over all elements, so it is shown to catch 1e-3.
 */
class ChecksCanFailTest {

    private static final List<ConvSpec> SPECS = List.of(
            ConvSpec.conv2d(2, 3, 3).padding(1).stride(2).build(),
            ConvSpec.conv1d(2, 2, 3).padding(2).paddingMode(PaddingMode.REFLECT).build(),
            ConvSpec.transposed(2, 2, 4, 3).groups(2).stride(2).outputPadding(1).build());

    private static Shape input(ConvSpec spec) {
        return spec.rank() == 1 ? Shape.of(1, spec.inChannels(), 6) : Shape.of(1, spec.inChannels(), 4, 5);
    }

    /** One planted bug. */
    enum Bug {
        /** Backward-data off in one element. */
        DIFF_SRC_ONE_ELEMENT,
        /** Backward-data with the kernel rotated by 180° (the classic flip mistake). */
        DIFF_SRC_FLIPPED_KERNEL,
        /** Backward-weights off in one element. */
        DIFF_WEI_ONE_ELEMENT,
        /** Backward-weights with one element left at zero. */
        DIFF_WEI_DROPPED,
        /** The bias gradient off in one element. */
        DIFF_BIA_ONE_ELEMENT,
    }

    @Test
    void correctPlansPass() {
        int ran = 0;
        for (ConvSpec spec : SPECS) {
            try (Plan plan = Engines.reference().prepare(spec, input(spec))) {
                Checks.gradient(plan, Layout.CHANNELS_FIRST, 42);
                Checks.adjoint(plan, Layout.CHANNELS_FIRST, 42);
                ran++;
            }
        }
        assertEquals(SPECS.size(), ran);
    }

    @Test
    void everyPlantedBugIsCaughtByBothChecks() {
        int caught = 0;
        for (ConvSpec spec : SPECS) {
            for (Bug bug : Bug.values()) {
                try (Plan plan = new Sabotaged(Engines.reference().prepare(spec, input(spec)), bug, 1e-4f)) {
                    AssertionError g = assertThrows(AssertionError.class, () -> Checks.gradient(plan, Layout.CHANNELS_FIRST, 42),
                            () -> "gradient check missed " + bug + " on " + spec);
                    assertTrue(g.getMessage().contains(bug.name().startsWith("DIFF_SRC") ? "diff_src"
                            : bug.name().startsWith("DIFF_WEI") ? "diff_wei" : "diff_bia"), g.getMessage());
                }
                try (Plan plan = new Sabotaged(Engines.reference().prepare(spec, input(spec)), bug, 1e-3f)) {
                    assertThrows(AssertionError.class, () -> Checks.adjoint(plan, Layout.CHANNELS_FIRST, 42),
                            () -> "adjoint check missed " + bug + " on " + spec);
                }
                caught++;
            }
        }
        assertEquals(SPECS.size() * Bug.values().length, caught);
    }

    @Test
    void anAllZeroGradientIsNotAPass() {
        // A zero weight tensor makes every input gradient zero, and zero the finite differences
        // too: the check must refuse to call that a pass.
        ConvSpec spec = SPECS.get(0);
        try (Plan plan = new Sabotaged(Engines.reference().prepare(spec, input(spec)), null, 0f) {
            @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
                diffSrc.fill(0f);
            }

            @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
                super.forward(src, Checks.like(wei), bia, dst);
            }
        }) {
            AssertionError e = assertThrows(AssertionError.class, () -> Checks.gradient(plan, Layout.CHANNELS_FIRST, 42));
            assertTrue(e.getMessage().contains("every gradient is zero"), e.getMessage());
        }
    }

    /** A correct plan with one bug planted in its output. */
    static class Sabotaged implements Plan {
        private final Plan p;
        private final Bug bug;
        private final float error;

        /** {@code error}: how far off the one wrong element is. */
        Sabotaged(Plan p, Bug bug, float error) {
            this.p = p;
            this.bug = bug;
            this.error = error;
        }

        @Override public ConvSpec spec() { return p.spec(); }
        @Override public Shape srcShape() { return p.srcShape(); }
        @Override public Shape dstShape() { return p.dstShape(); }
        @Override public Shape weiShape() { return p.weiShape(); }
        @Override public Shape biaShape() { return p.biaShape(); }
        @Override public String engineName() { return "sabotaged"; }
        @Override public String implementation(Direction dir) { return "sabotaged"; }
        @Override public void close() { p.close(); }

        @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
            p.forward(src, wei, bia, dst);
        }

        @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
            p.backwardData(diffDst, bug == Bug.DIFF_SRC_FLIPPED_KERNEL ? flipped(wei) : wei, diffSrc);
            if (bug == Bug.DIFF_SRC_ONE_ELEMENT) {
                bump(diffSrc, diffSrc.size() / 2);
            }
        }

        @Override public void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
            p.backwardWeights(src, diffDst, diffWei, diffBia);
            if (bug == Bug.DIFF_WEI_ONE_ELEMENT) {
                bump(diffWei, diffWei.size() / 2);
            } else if (bug == Bug.DIFF_WEI_DROPPED) {
                diffWei.set(diffWei.size() / 2, 0f);
            } else if (bug == Bug.DIFF_BIA_ONE_ELEMENT) {
                bump(diffBia, diffBia.size() - 1);
            }
        }

        private void bump(Tensor t, int i) {
            t.set(i, t.get(i) + error);
        }

        /** The kernel of every (output, input) channel pair rotated by 180°. */
        private static Tensor flipped(Tensor wei) {
            Shape s = wei.shape();
            int kernel = (int) (s.elementCount() / ((long) s.dim(0) * s.dim(1)));
            Tensor out = Tensor.allocate(s);
            for (int i = 0; i < wei.size(); i++) {
                int block = i / kernel;
                int at = i % kernel;
                out.set(block * kernel + (kernel - 1 - at), wei.get(i));
            }
            return out;
        }
    }
}
