package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Fill;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The parity check can fail: deliberately broken oneDNN plans are reported FAILED in every
 * direction and on both fills, and a result that is all zeros is MISTRUSTED, not PASSED.
 */
class CheckCanFailTest {
    private static final Engine ENGINE = Engines.onednn();
    private static final long SEED = 42;
    /** 2-D, 4 -> 4 channels, 3x3, padding 1, with bias: OC = IC/G, so a weight transpose keeps the shape. */
    private static final ConvSpec SPEC = ConvSpec.builder(2, 4, 4, 3).padding(1).build();
    private static final Shape SRC = Shape.of(2, 4, 7, 6);

    @Test void theUnbrokenPlanPasses() {
        int cases = 0;
        try (Plan plan = ENGINE.prepare(SPEC, SRC)) {
            for (Direction dir : Direction.values()) {
                for (Fill fill : Fill.values()) {
                    Result r = Parity.check(plan, dir, fill, SEED);
                    assertEquals(Status.PASSED, r.status(), r.describe());
                    assertEquals(fill == Fill.INTEGERS, r.exact(), r.describe());
                    cases++;
                }
            }
        }
        assertEquals(6, cases);
    }

    @Test void aSingleCorruptedElementFails() {
        int cases = 0;
        try (Plan plan = new ForwardingPlan(ENGINE.prepare(SPEC, SRC)) {
            @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
                super.forward(src, wei, bia, dst);
                bump(dst, 37, 1.0f);
            }

            @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
                super.backwardData(diffDst, wei, diffSrc);
                bump(diffSrc, diffSrc.size() - 1, 1.0f);
            }

            @Override public void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
                super.backwardWeights(src, diffDst, diffWei, diffBia);
                bump(diffBia, 2, 1.0f);   // only the bias gradient is wrong
            }
        }) {
            for (Direction dir : Direction.values()) {
                for (Fill fill : Fill.values()) {
                    Result r = Parity.check(plan, dir, fill, SEED);
                    assertEquals(Status.FAILED, r.status(), r.describe());
                    cases++;
                }
            }
            Result fwd = Parity.check(plan, Direction.FWD, Fill.INTEGERS, SEED);
            assertEquals("dst", fwd.worst().tensor());
            assertEquals(1.0, fwd.maxError());
            Result bwdW = Parity.check(plan, Direction.BWD_W, Fill.NORMALS, SEED);
            assertEquals("diff_bia", bwdW.worst().tensor());
            assertEquals(2, bwdW.worst().index()[0]);
        }
        assertEquals(6, cases);
    }

    /** The comparison itself: an error of twice the element's bound fails, half of it passes. */
    @Test void theBoundIsPerElementAndTight() {
        try (Plan ref = Engines.reference().prepare(SPEC, SRC)) {
            SplittableRandom random = new SplittableRandom(SEED);
            Tensor x = normals(ref.srcShape(), random);
            Tensor w = normals(ref.weiShape(), random);
            Tensor b = normals(ref.biaShape(), random);
            Tensor y = Tensor.allocate(ref.dstShape());
            ref.forward(x, w, b, y);
            Tensor absSum = Tensor.allocate(ref.dstShape());
            ref.forward(abs(x), abs(w), abs(b), absSum);
            int at = 101;
            double c = Parity.boundFactor(Parity.maxTerms(SPEC, SRC, Direction.FWD));
            assertEquals((4 * 9 + 1 + 3) / 2.0, c, "c = (K + 3) / 2 with K = 4·3·3 products + the bias");
            double bound = c * Parity.EPS_F32 * absSum.get(at);
            assertTrue(bound > 0 && bound < 1e-4, "bound " + bound);

            Tensor within = y.copy();
            within.set(at, (float) (y.get(at) + 0.5 * bound));
            Result ok = Parity.compare(Direction.FWD, Fill.NORMALS, "dst", within, y, absSum, c);
            assertEquals(Status.PASSED, ok.status(), ok.describe());

            Tensor beyond = y.copy();
            beyond.set(at, (float) (y.get(at) + 2 * bound));
            Result bad = Parity.compare(Direction.FWD, Fill.NORMALS, "dst", beyond, y, absSum, c);
            assertEquals(Status.FAILED, bad.status(), bad.describe());
            assertEquals(at, flat(ref.dstShape(), bad.worst().index()));
            assertTrue(bad.maxRelative() > 1.5 && bad.maxRelative() < 2.5, bad.describe());

            Tensor nan = y.copy();
            nan.set(at, Float.NaN);
            assertEquals(Status.FAILED, Parity.compare(Direction.FWD, Fill.NORMALS, "dst", nan, y, absSum, c).status());
        }
    }

    /** Weights read as [IC, OC, K...] instead of PyTorch's [OC, IC, K...]. */
    @Test void aTransposedWeightLayoutFails() {
        int cases = 0;
        try (Plan plan = new ForwardingPlan(ENGINE.prepare(SPEC, SRC)) {
            @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
                super.forward(src, swapFirstTwoDims(wei), bia, dst);
            }

            @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
                super.backwardData(diffDst, swapFirstTwoDims(wei), diffSrc);
            }

            @Override public void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
                Tensor computed = Tensor.allocate(diffWei.shape());
                super.backwardWeights(src, diffDst, computed, diffBia);
                diffWei.copyFrom(swapFirstTwoDims(computed));
            }
        }) {
            for (Direction dir : Direction.values()) {
                for (Fill fill : Fill.values()) {
                    Result r = Parity.check(plan, dir, fill, SEED);
                    assertEquals(Status.FAILED, r.status(), dir + " " + r.describe());
                    cases++;
                }
            }
        }
        assertEquals(6, cases);
    }

    /** Padding (0, 2) instead of (1, 1): the same output size, every row shifted by one. */
    @Test void anOffByOnePaddingFails() {
        ConvSpec shifted = SPEC.toBuilder().padding(new int[] {0, 1}, new int[] {2, 1}).build();
        int cases = 0;
        try (Plan plan = new ForwardingPlan(ENGINE.prepare(shifted, SRC)) {
            @Override public ConvSpec spec() { return SPEC; }
        }) {
            assertEquals(Engines.reference().prepare(SPEC, SRC).dstShape(), plan.dstShape());
            for (Direction dir : Direction.values()) {
                for (Fill fill : Fill.values()) {
                    Result r = Parity.check(plan, dir, fill, SEED);
                    assertEquals(Status.FAILED, r.status(), dir + " " + r.describe());
                    cases++;
                }
            }
        }
        assertEquals(6, cases);
    }

    /**
     * A strided convolution's backward-data is zero on the input rows no output reads: those
     * zeros are compared (exactly) but do not make the result mistrusted.
     */
    @Test void zerosNoTermReachesAreNotMistrusted() {
        ConvSpec strided = ConvSpec.builder(1, 3, 4, 1).stride(3).build();
        try (Plan plan = ENGINE.prepare(strided, Shape.of(2, 3, 12))) {
            for (Fill fill : Fill.values()) {
                Result r = Parity.check(plan, Direction.BWD_D, fill, SEED);
                assertEquals(Status.PASSED, r.status(), r.describe());
                assertEquals(72, r.checked());
                assertEquals(24, r.reachable(), "one input column in 3 is read");
            }
        }
    }

    /** A plan that writes nothing leaves zeros: that is a failure, not a pass. */
    @Test void aPlanThatWritesNothingFails() {
        try (Plan plan = new ForwardingPlan(ENGINE.prepare(SPEC, SRC)) {
            @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) { }
        }) {
            Result r = Parity.check(plan, Direction.FWD, Fill.NORMALS, SEED);
            assertEquals(Status.FAILED, r.status(), r.describe());
        }
    }

    /**
     * A 1x1 input, kernel 1, padding 2, stride 3: both outputs read only padding, so every
     * direction's result is all zeros on both engines. Equal, but it proves nothing: MISTRUSTED.
     */
    @Test void anAllZeroOutputIsMistrusted() {
        ConvSpec allPadding = ConvSpec.builder(2, 2, 2, 1).stride(3).padding(2).bias(false).build();
        int cases = 0;
        try (Plan plan = ENGINE.prepare(allPadding, Shape.of(1, 2, 1, 1))) {
            assertEquals(Shape.of(1, 2, 2, 2), plan.dstShape());
            for (Direction dir : Direction.values()) {
                for (Fill fill : Fill.values()) {
                    Result r = Parity.check(plan, dir, fill, SEED);
                    assertEquals(Status.MISTRUSTED, r.status(), dir + " " + r.describe());
                    assertEquals(0, r.reachable(), r.describe());
                    cases++;
                }
            }
        }
        assertEquals(6, cases);
        // Zeros where terms do reach (Σ|w·x| > 0): mistrusted as well.
        Tensor zeros = Tensor.zeros(1, 4, 3, 3);
        Tensor reached = Tensor.zeros(1, 4, 3, 3);
        reached.fill(1f);
        Result direct = Parity.compare(Direction.FWD, Fill.NORMALS, "dst", zeros, zeros.copy(), reached, 1);
        assertEquals(Status.MISTRUSTED, direct.status(), direct.describe());
        assertEquals(36, direct.zeros());
        Result exact = Parity.compare(Direction.FWD, Fill.INTEGERS, "dst", zeros, zeros.copy(), null, 1);
        assertEquals(Status.MISTRUSTED, exact.status(), exact.describe());
    }

    private static void bump(Tensor t, int at, float by) {
        t.set(at, t.get(at) + by);
    }

    private static Tensor swapFirstTwoDims(Tensor w) {
        Shape s = w.shape();
        int a = s.dim(0);
        int b = s.dim(1);
        int inner = (int) (s.elementCount() / ((long) a * b));
        Tensor out = Tensor.allocate(Shape.of(s.dims()).with(0, b).with(1, a));
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < inner; k++) {
                    out.buffer().put((j * a + i) * inner + k, w.get((i * b + j) * inner + k));
                }
            }
        }
        out.markModified();
        return out;
    }

    private static Tensor normals(Shape shape, SplittableRandom random) {
        Tensor t = Tensor.allocate(shape);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) (random.nextDouble() * 2 - 1));
        }
        return t;
    }

    private static Tensor abs(Tensor t) {
        Tensor a = Tensor.allocate(t.shape());
        for (int i = 0; i < t.size(); i++) {
            a.set(i, Math.abs(t.get(i)));
        }
        return a;
    }

    private static int flat(Shape s, int[] idx) {
        int f = 0;
        for (int d = 0; d < s.rank(); d++) {
            f = f * s.dim(d) + idx[d];
        }
        return f;
    }
}
