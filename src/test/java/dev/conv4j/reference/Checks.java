package dev.conv4j.reference;

import static org.junit.jupiter.api.Assertions.fail;

import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.DoubleUnaryOperator;

/**
 * The two checks of a plan's backward passes, written against the {@link Plan} API alone so
 * that they can check any engine, and so that a deliberately wrong plan can be shown to fail
 * them ({@code ChecksCanFailTest}).
 *
 * <p><b>Error bounds.</b> A plan computes each float32 output as a double sum rounded once (the
 * reference does; a padding mode's fold rounds partial sums once more). So an output
 * {@code y} differs from the exact value by at most {@code ε·|y|} and a gradient {@code g} by
 * at most {@code 2ε·Σ|terms|}, with {@code ε = 2^-24} the float32 unit roundoff. The bounds
 * below are those, with a safety factor 2 that covers the double-precision sums and the
 * rounding of the bounds themselves. Every {@code Σ|terms|} is computed by the plan itself on
 * absolute values.
 */
final class Checks {
    private Checks() {}

    /** Unit roundoff of float32. */
    static final double EPS = 0x1p-24;

    /**
     * The perturbation of the finite differences. The loss is linear in each argument, so
     * central differences have no truncation error at any step, and a large step keeps the
     * float rounding of {@code y} small relative to the difference it produces.
     */
    static final float H = 0.5f;

    /**
     * Checks backward-data and backward-weights (and bias) against central finite differences
     * of {@code L = Σ dy·y} over every element of {@code src}, {@code wei} and {@code bia}.
     *
     * <p>For element {@code i} perturbed by {@code ±H}, the difference
     * {@code D = Σ_j dy_j·(y⁺_j − y⁻_j)} is formed in double from the two float outputs, and
     * {@code D / (x⁺ − x⁻)} must match the backward result within
     * {@code 4ε·(2·B_i / (x⁺ − x⁻) + A_i)}, where {@code B_i = Σ_{j fed by i} |dy_j|·Ymax_j}
     * bounds the rounding of the outputs {@code i} changes ({@code Ymax} is the forward pass on
     * {@code |x| + H, |w| + H, |b| + H}; the sum over {@code j} fed by {@code i} is the
     * backward pass with all-ones weights or input) and {@code A_i} is the backward pass on
     * absolute values. An element that feeds no output must have a gradient of exactly 0.
     *
     * @return the number of elements checked
     */
    static int gradient(Plan plan, Layout layout, long seed) {
        Random rnd = new Random(seed);
        Tensor x = random(plan.srcShape(), layout, rnd);
        Tensor w = random(plan.weiShape(), Layout.CHANNELS_FIRST, rnd);
        Tensor b = plan.biaShape() == null ? null : random(plan.biaShape(), Layout.CHANNELS_FIRST, rnd);
        Tensor dy = random(plan.dstShape(), layout, rnd);

        Tensor gx = like(x);
        plan.backwardData(dy, w, gx);
        Tensor gw = like(w);
        Tensor gb = b == null ? null : like(b);
        plan.backwardWeights(x, dy, gw, gb);

        DoubleUnaryOperator absPlusH = v -> Math.abs(v) + H;
        Tensor yMax = Tensor.allocate(plan.dstShape(), layout);
        plan.forward(map(x, absPlusH), map(w, absPlusH), b == null ? null : map(b, absPlusH), yMax);
        Tensor r = like(dy);
        for (int j = 0; j < r.size(); j++) {
            r.set(j, Math.abs(dy.get(j)) * yMax.get(j));
        }
        Tensor bx = like(x);
        plan.backwardData(r, map(w, v -> 1), bx);
        Tensor bw = like(w);
        Tensor bb = b == null ? null : like(b);
        plan.backwardWeights(map(x, v -> 1), r, bw, bb);
        Tensor ax = like(x);
        plan.backwardData(map(dy, Math::abs), map(w, Math::abs), ax);
        Tensor aw = like(w);
        Tensor ab = b == null ? null : like(b);
        plan.backwardWeights(map(x, Math::abs), map(dy, Math::abs), aw, ab);

        Tensor yPlus = like(dy);
        Tensor yMinus = like(dy);
        Consumer<Tensor> forward = y -> plan.forward(x, w, b, y);
        int checked = 0;
        checked += checkArgument("diff_src", x, gx, bx, ax, forward, dy, yPlus, yMinus);
        checked += checkArgument("diff_wei", w, gw, bw, aw, forward, dy, yPlus, yMinus);
        if (b != null) {
            checked += checkArgument("diff_bia", b, gb, bb, ab, forward, dy, yPlus, yMinus);
        }
        return checked;
    }

    private static int checkArgument(String name, Tensor p, Tensor g, Tensor bound, Tensor gAbs,
                                     Consumer<Tensor> forward, Tensor dy, Tensor yPlus, Tensor yMinus) {
        int nonzero = 0;
        for (int i = 0; i < p.size(); i++) {
            float v = p.get(i);
            float vPlus = v + H;
            float vMinus = v - H;
            p.set(i, vPlus);
            forward.accept(yPlus);
            p.set(i, vMinus);
            forward.accept(yMinus);
            p.set(i, v);
            double d = 0.0;
            for (int j = 0; j < dy.size(); j++) {
                d += (double) dy.get(j) * ((double) yPlus.get(j) - yMinus.get(j));
            }
            double delta = (double) vPlus - vMinus;
            double fd = d / delta;
            double tol = 4 * EPS * (2 * bound.get(i) / delta + gAbs.get(i));
            double err = Math.abs(fd - g.get(i));
            if (!(err <= tol)) {
                fail(String.format(Locale.ROOT,
                        "%s[%d]: finite difference %.9g, backward %.9g, |difference| %.3g exceeds the rounding bound %.3g",
                        name, i, fd, g.get(i), err, tol));
            }
            if (g.get(i) != 0f) {
                nonzero++;
            }
        }
        if (nonzero == 0) {
            fail(name + ": every gradient is zero, the check would prove nothing");
        }
        return p.size();
    }

    /**
     * The adjoint identities, bias excluded: {@code ⟨conv(x), dy⟩ = ⟨x, backwardData(dy)⟩ =
     * ⟨w, backwardWeights(x, dy)⟩}, and for the bias {@code ⟨forward(0, w, b), dy⟩ = ⟨b, diff_bia⟩}.
     * Each side is within {@code ε·S} of the exact value (outputs) or {@code 2ε·S} (gradients),
     * with {@code S = ⟨conv(|x|, |w|), |dy|⟩}; the check allows {@code 4ε·S}.
     *
     * @return the number of identities checked (2, or 3 with a bias)
     */
    static int adjoint(Plan plan, Layout layout, long seed) {
        Random rnd = new Random(seed);
        Tensor x = random(plan.srcShape(), layout, rnd);
        Tensor w = random(plan.weiShape(), Layout.CHANNELS_FIRST, rnd);
        Tensor dy = random(plan.dstShape(), layout, rnd);
        Tensor zeroBias = plan.biaShape() == null ? null : Tensor.allocate(plan.biaShape());

        Tensor y = like(dy);
        plan.forward(x, w, zeroBias, y);
        Tensor dx = like(x);
        plan.backwardData(dy, w, dx);
        Tensor dw = like(w);
        Tensor db = zeroBias == null ? null : like(zeroBias);
        plan.backwardWeights(x, dy, dw, db);

        Tensor yAbs = like(dy);
        plan.forward(map(x, Math::abs), map(w, Math::abs), zeroBias, yAbs);
        double s = dot(yAbs, map(dy, Math::abs));
        double lhs = dot(y, dy);
        if (s == 0 || lhs == 0) {
            fail("adjoint: ⟨conv(x), dy⟩ is zero, the check would prove nothing");
        }
        double tol = 4 * EPS * s;
        assertClose("adjoint ⟨conv(x), dy⟩ = ⟨x, backward_data(dy)⟩", lhs, dot(x, dx), tol);
        assertClose("adjoint ⟨conv(x), dy⟩ = ⟨w, backward_weights(x, dy)⟩", lhs, dot(w, dw), tol);
        if (zeroBias == null) {
            return 2;
        }
        Tensor b = random(plan.biaShape(), Layout.CHANNELS_FIRST, rnd);
        Tensor yb = like(dy);
        plan.forward(like(x), w, b, yb);
        Tensor dbAbs = like(b);
        plan.backwardWeights(map(x, Math::abs), map(dy, Math::abs), like(w), dbAbs);
        assertClose("adjoint ⟨forward(0, w, b), dy⟩ = ⟨b, diff_bia⟩", dot(yb, dy), dot(b, db),
                4 * EPS * dot(map(b, Math::abs), dbAbs));
        return 3;
    }

    private static void assertClose(String what, double expected, double actual, double tol) {
        if (!(Math.abs(expected - actual) <= tol)) {
            fail(String.format(Locale.ROOT, "%s: %.12g vs %.12g, |difference| %.3g exceeds the rounding bound %.3g",
                    what, expected, actual, Math.abs(expected - actual), tol));
        }
    }

    // ---- tensors ----------------------------------------------------------------------------

    /** Uniform values in [-1, 1). */
    static Tensor random(Shape shape, Layout layout, Random rnd) {
        Tensor t = Tensor.allocate(shape, layout);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) (2 * rnd.nextDouble() - 1));
        }
        return t;
    }

    /** A zero tensor of {@code t}'s shape and layout. */
    static Tensor like(Tensor t) {
        return Tensor.allocate(t.shape(), t.layout());
    }

    /** {@code f} applied to every element, in a new tensor of the same shape and layout. */
    static Tensor map(Tensor t, DoubleUnaryOperator f) {
        Tensor out = like(t);
        for (int i = 0; i < t.size(); i++) {
            out.set(i, (float) f.applyAsDouble(t.get(i)));
        }
        return out;
    }

    /** {@code Σ a_i·b_i} in double over storage order (the layouts must match). */
    static double dot(Tensor a, Tensor b) {
        if (a.layout() != b.layout() || !a.shape().equals(b.shape())) {
            throw new IllegalArgumentException("dot: " + a + " and " + b + " differ in shape or layout");
        }
        double s = 0.0;
        for (int i = 0; i < a.size(); i++) {
            s += (double) a.get(i) * b.get(i);
        }
        return s;
    }
}
