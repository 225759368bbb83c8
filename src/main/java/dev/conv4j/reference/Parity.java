package dev.conv4j.reference;

import dev.conv4j.Check;
import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Checks a plan of any engine against the reference engine, benchdnn style: both run one
 * direction on the same inputs and every element of every result is compared.
 *
 * <p>Two fills:
 * <ul>
 *   <li>{@link Fill#INTEGERS}: inputs drawn from {-2, -1, 1, 2}. Every product and every partial
 *       sum is then an integer; while the number of terms of a sum times 4 stays below
 *       2<sup>24</sup> (checked per problem) float32 accumulation is exact in any order, so the
 *       results must be <em>equal</em>: a single wrong element fails.</li>
 *   <li>{@link Fill#NORMALS}: inputs drawn from N(0, 1), compared per element with
 *       {@code |a − r| ≤ c · ε_f32 · Σ|w·x|}, where {@code Σ|w·x|} (the sum of the absolute
 *       values of the terms that make the element, bias included) is computed alongside by
 *       running the reference on {@code |x|} and {@code |w|}, {@code ε_f32 = 2^-23}, and
 *       {@code c = (K + 3) / 2} for sums of at most {@code K} terms ({@link #boundFactor}).
 *       That is the classic bound on floating-point summation (Higham, <i>Accuracy and
 *       Stability of Numerical Algorithms</i>, §4.2: {@code γ_K ≈ K·u}, {@code u = ε/2}) plus
 *       the rounding of each product and of the reference's result: it holds in any order of
 *       summation, blocked or not, with or without FMA, so a correct kernel never fails it on
 *       any machine. Being per element, it is tight where an element's terms are small and is
 *       never a loose global epsilon; the integer fill, exact, catches what is smaller than
 *       the bound (a single missing term of a long sum).</li>
 * </ul>
 *
 * <p>A comparison is {@link Status#FAILED} if any element is out of its bound (or not a
 * number), else {@link Status#MISTRUSTED} if more than {@value #ZERO_TRUST_PERCENT} % of the
 * <em>reachable</em> reference elements are zero, or none is reachable (benchdnn's rule: a
 * mostly-zero result proves little), else {@link Status#PASSED}. An element is reachable
 * when some term of the formula reaches it ({@code Σ|w·x| > 0}); the others (input rows a
 * strided convolution skips, outputs that read only zero padding) are zero by construction,
 * are still compared, and do not make a result mistrusted. Neither fill holds a zero, so
 * which elements are reachable does not depend on the fill.
 *
 * <p>Tensors are channels-first (the plan must take channels-first activations). The
 * reference runs on every output element, parallel over output channels.
 */
public final class Parity {
    /** {@code ε_f32}: the distance from 1 to the next float, 2<sup>-23</sup>. */
    public static final double EPS_F32 = Math.ulp(1.0f);
    /** A result with more zero elements than this percentage (of the reference) is mistrusted. */
    public static final int ZERO_TRUST_PERCENT = 30;
    /** Integer sums below this magnitude are exact in float32. */
    private static final double EXACT_LIMIT = 1 << 24;
    /** The largest |product| of the integer fill. */
    private static final int MAX_INT_PRODUCT = 4;

    private Parity() {}

    /** The inputs a comparison runs on. */
    public enum Fill {
        /** Values from {-2, -1, 1, 2}: results must be equal. */
        INTEGERS,
        /** Values from N(0, 1): results within the per-element bound. */
        NORMALS;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The outcome of a comparison, worst last. */
    public enum Status { PASSED, MISTRUSTED, FAILED }

    /**
     * The element with the largest error relative to its bound.
     *
     * @param tensor   {@code dst}, {@code diff_src}, {@code diff_wei} or {@code diff_bia}
     * @param index    its logical index ({@code [n, c, spatial...]} or {@code [o, c, k...]})
     * @param actual   the plan's value
     * @param expected the reference value
     * @param bound    the allowed {@code |actual − expected|}
     */
    public record Element(String tensor, int[] index, float actual, float expected, double bound) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "%s%s = %s, reference %s, bound %.3g", tensor,
                    Arrays.toString(index), actual, expected, bound);
        }
    }

    /**
     * One comparison of one direction on one fill.
     *
     * @param dir         the direction compared
     * @param fill        the inputs
     * @param status      PASSED, MISTRUSTED or FAILED
     * @param exact       whether the bound was 0 (integer fill: equality required)
     * @param boundFactor {@code c} of the bound {@code c · ε_f32 · Σ|w·x|} (unused when exact)
     * @param checked     number of elements compared
     * @param reachable   number of elements some term of the formula reaches ({@code Σ|w·x| > 0})
     * @param zeros       number of reachable reference elements equal to zero
     * @param maxError    the largest {@code |a − r|}
     * @param maxRelative the largest {@code |a − r| / bound} (0/0 counts as 0, x/0 as infinity)
     * @param worst       the element with the largest relative error, or null if nothing was compared
     */
    public record Result(Direction dir, Fill fill, Status status, boolean exact, double boundFactor, long checked, long reachable, long zeros,
                         double maxError, double maxRelative, Element worst) {

        /** One line: status, errors, and the worst element when it failed. */
        public String describe() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s %s: %s, max error %.3g",
                    fill.label(), dir.label(), status, maxError));
            if (!exact) {
                b.append(String.format(Locale.ROOT, " (%.3g of the bound %s·ε·Σ|w·x|)", maxRelative, formatFactor(boundFactor)));
            }
            if (status == Status.MISTRUSTED) {
                b.append(reachable == 0 ? ", no term of the formula reaches any of its elements"
                        : String.format(Locale.ROOT, ", %d of %d reachable reference elements are zero", zeros, reachable));
            }
            if (status == Status.FAILED && worst != null) {
                b.append(", worst ").append(worst);
            }
            return b.toString();
        }
    }

    /**
     * Runs {@code plan} and the reference engine in direction {@code dir} on inputs from
     * {@code fill} (seeded by {@code seed}) and compares every output element.
     *
     * @param plan the plan under test; its spec and input shape say what the reference runs.
     *             Run with channels-first tensors; not closed here
     * @throws IllegalArgumentException if the plan rejects channels-first tensors
     */
    public static Result check(Plan plan, Direction dir, Fill fill, long seed) {
        return check(plan, Layout.CHANNELS_FIRST, dir, new Fill[] {fill}, seed)[0];
    }

    /**
     * As {@link #check(Plan, Direction, Fill, long)} for a plan that takes activations in
     * {@code tensors}' layout: the same inputs, converted, and its output converted back
     * before the comparison.
     */
    public static Result check(Plan plan, Layout tensors, Direction dir, Fill fill, long seed) {
        return check(plan, tensors, dir, new Fill[] {fill}, seed)[0];
    }

    /** Runs {@link #check(Plan, Direction, Fill, long)} for both fills; the worse result first. */
    public static Result[] check(Plan plan, Direction dir, long seed) {
        // Normals first: their Σ|w·x| also tells the integers which elements are reachable.
        Result[] r = check(plan, Layout.CHANNELS_FIRST, dir, new Fill[] {Fill.NORMALS, Fill.INTEGERS}, seed);
        return r[1].status().compareTo(r[0].status()) >= 0 ? new Result[] {r[1], r[0]} : r;
    }

    private static Result[] check(Plan plan, Layout tensors, Direction dir, Fill[] fills, long seed) {
        ConvSpec spec = plan.spec();
        Shape srcShape = plan.srcShape();
        long terms = maxTerms(spec, srcShape, dir);
        double c = boundFactor(terms);
        Result[] out = new Result[fills.length];
        try (Plan ref = Engines.reference().prepare(spec, srcShape)) {
            Outputs reach = null;   // Σ|w·x| of some fill: zero exactly where no term reaches
            for (int f = 0; f < fills.length; f++) {
                Inputs in = Inputs.draw(ref, dir, fills[f], seed);
                Outputs got = Outputs.allocate(ref, dir);
                Outputs exp = Outputs.allocate(ref, dir);
                in.run(plan, tensors, dir, got);
                in.run(ref, Layout.CHANNELS_FIRST, dir, exp);
                boolean exact = fills[f] == Fill.INTEGERS && (double) terms * MAX_INT_PRODUCT < EXACT_LIMIT;
                Outputs absSum = null;
                if (!exact || reach == null) {
                    absSum = Outputs.allocate(ref, dir);
                    in.abs().run(ref, Layout.CHANNELS_FIRST, dir, absSum);
                    reach = reach == null ? absSum : reach;
                }
                out[f] = compare(dir, fills[f], got, exp, exact ? null : absSum, reach, c);
            }
        }
        return out;
    }

    /**
     * {@code c} of the bound for sums of at most {@code terms} terms: {@code (terms + 3) / 2},
     * i.e. {@code (terms + 3) · u} with the unit roundoff {@code u = ε_f32 / 2}.
     */
    public static double boundFactor(long terms) {
        Check.arg(terms >= 1, "terms: must be >= 1, got %d", terms);
        return terms / 2.0 + 1.5;   // not (terms + 3) / 2.0: terms may be Long.MAX_VALUE
    }

    /**
     * Compares {@code actual} with {@code expected} element by element, allowing
     * {@code c · ε_f32 · absSum[i]} at element {@code i} ({@code absSum == null}: equality,
     * and every element counts as reachable). All three tensors have the same shape.
     *
     * @param tensor the tensor's name in messages
     * @param c      the bound's factor, e.g. {@link #boundFactor}
     */
    public static Result compare(Direction dir, Fill fill, String tensor, Tensor actual, Tensor expected, Tensor absSum,
                                 double c) {
        Check.arg(actual.shape().equals(expected.shape()), "%s: actual shape %s differs from reference shape %s",
                tensor, actual.shape(), expected.shape());
        Outputs got = new Outputs(new String[] {tensor}, new Tensor[] {actual});
        Outputs exp = new Outputs(new String[] {tensor}, new Tensor[] {expected});
        Outputs bound = absSum == null ? null : new Outputs(new String[] {tensor}, new Tensor[] {absSum});
        return compare(dir, fill, got, exp, bound, bound, c);
    }

    private static Result compare(Direction dir, Fill fill, Outputs got, Outputs exp, Outputs absSum, Outputs reach,
                                  double c) {
        long checked = 0;
        long reachable = 0;
        long zeros = 0;
        double maxError = 0;
        double maxRelative = 0;
        boolean failed = false;
        Element worst = null;
        for (int t = 0; t < got.tensors.length; t++) {
            Tensor a = got.tensors[t];
            Tensor r = exp.tensors[t];
            for (int i = 0; i < a.size(); i++) {
                float av = a.get(i);
                float rv = r.get(i);
                double bound = absSum == null ? 0.0 : c * EPS_F32 * absSum.tensors[t].get(i);
                double err = Math.abs((double) av - rv);
                boolean ok = err <= bound;            // false for NaN
                if (Double.isNaN(err)) {
                    err = Double.POSITIVE_INFINITY;
                }
                double relative = err == 0 ? 0 : bound > 0 ? err / bound : Double.POSITIVE_INFINITY;
                checked++;
                if (reach == null || reach.tensors[t].get(i) != 0f) {
                    reachable++;
                    if (rv == 0f) {
                        zeros++;
                    }
                }
                failed |= !ok;
                if (worst == null || relative > maxRelative || (relative == maxRelative && err > maxError)) {
                    worst = new Element(got.names[t], index(a.shape(), i), av, rv, bound);
                }
                maxRelative = Math.max(maxRelative, relative);
                maxError = Math.max(maxError, err);
            }
        }
        Status status = failed ? Status.FAILED
                : reachable == 0 || zeros * 100.0 > (double) ZERO_TRUST_PERCENT * reachable ? Status.MISTRUSTED
                : Status.PASSED;
        return new Result(dir, fill, status, absSum == null, c, checked, reachable, zeros, maxError, maxRelative, worst);
    }

    /**
     * An upper bound on the number of terms (products, and the bias) summed into one output
     * element of direction {@code dir}: it decides whether the integer fill is exact, and the
     * bound of the normal fill.
     */
    public static long maxTerms(ConvSpec spec, Shape src, Direction dir) {
        Shape dst = ConvShapes.dst(spec, src);
        long kernel = 1;
        long padCopies = 1;   // a non-zero padding mode folds border gradients onto edge inputs
        int[] pl = ConvShapes.padLeft(spec, src);
        int[] pr = ConvShapes.padRight(spec, src);
        for (int k = 0; k < spec.rank(); k++) {
            kernel *= spec.kernel(k);
            // in long, saturating: padding of 2^31 - 1 on both sides wrapped an int to -1
            padCopies = saturatingProduct(padCopies, 1L + pl[k] + pr[k]);
        }
        int g = spec.groups();
        // The plain convolution a transposed spec is the adjoint of: x has c channels, y has o.
        int c = spec.transposed() ? spec.outChannels() : spec.inChannels();
        int o = spec.transposed() ? spec.inChannels() : spec.outChannels();
        Shape y = spec.transposed() ? src : dst;
        // diff_wei sums over the plain y's positions, diff_bia over dst's.
        long perImage = Math.max(y.elementCount() / ((long) y.dim(0) * y.dim(1)),
                dst.elementCount() / ((long) dst.dim(0) * dst.dim(1)));
        boolean toY = (dir == Direction.FWD) != spec.transposed();   // is the result the plain y?
        return switch (dir) {
            case FWD, BWD_D -> toY ? (long) (c / g) * kernel + 1
                    : saturatingProduct((long) (o / g) * kernel, spec.paddingMode() == PaddingMode.ZEROS ? 1 : padCopies) + 1;
            case BWD_W -> saturatingProduct((long) src.dim(0) * perImage, padCopies);
        };
    }

    /** {@code a · b} for non-negative {@code a}, {@code b}, at most {@code Long.MAX_VALUE - 1} (a term may be added). */
    private static long saturatingProduct(long a, long b) {
        return b != 0 && a > (Long.MAX_VALUE - 1) / b ? Long.MAX_VALUE - 1 : a * b;
    }

    /** A bound's factor as printed: {@code 15.5}, or {@code 16} when whole. */
    public static String formatFactor(double c) {
        return c == Math.rint(c) ? Long.toString((long) c) : Double.toString(c);
    }

    private static int[] index(Shape shape, int flat) {
        int[] idx = new int[shape.rank()];
        for (int d = shape.rank() - 1; d >= 0; d--) {
            idx[d] = flat % shape.dim(d);
            flat /= shape.dim(d);
        }
        return idx;
    }

    /** The tensors one direction reads. */
    private record Inputs(Tensor src, Tensor wei, Tensor bia, Tensor diffDst) {

        static Inputs draw(Plan ref, Direction dir, Fill fill, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            boolean needsSrc = dir != Direction.BWD_D;
            boolean needsWei = dir != Direction.BWD_W;
            Tensor src = needsSrc ? filled(ref.srcShape(), fill, random.split()) : null;
            Tensor wei = needsWei ? filled(ref.weiShape(), fill, random.split()) : null;
            Tensor bia = dir == Direction.FWD && ref.biaShape() != null ? filled(ref.biaShape(), fill, random.split()) : null;
            Tensor diffDst = dir != Direction.FWD ? filled(ref.dstShape(), fill, random.split()) : null;
            return new Inputs(src, wei, bia, diffDst);
        }

        Inputs abs() {
            return new Inputs(absOf(src), absOf(wei), absOf(bia), absOf(diffDst));
        }

        /** Runs {@code dir} on {@code plan} with activations in {@code tensors}' layout; {@code out} is channels-first. */
        void run(Plan plan, Layout tensors, Direction dir, Outputs out) {
            Tensor x = src == null ? null : in(src, tensors);
            Tensor dy = diffDst == null ? null : in(diffDst, tensors);
            switch (dir) {
                case FWD -> {
                    Tensor y = out(out.tensors[0], tensors);
                    plan.forward(x, wei, bia, y);
                    back(y, out.tensors[0]);
                }
                case BWD_D -> {
                    Tensor dx = out(out.tensors[0], tensors);
                    plan.backwardData(dy, wei, dx);
                    back(dx, out.tensors[0]);
                }
                case BWD_W -> plan.backwardWeights(x, dy, out.tensors[0],
                        out.tensors.length > 1 ? out.tensors[1] : null);
            }
        }

        private static Tensor in(Tensor t, Layout tensors) {
            return t.layout() == tensors ? t : t.toLayout(tensors);
        }

        private static Tensor out(Tensor t, Layout tensors) {
            return t.layout() == tensors ? t : Tensor.allocate(t.shape(), tensors);
        }

        private static void back(Tensor computed, Tensor to) {
            if (computed != to) {
                to.copyFrom(computed);
            }
        }

        private static Tensor filled(Shape shape, Fill fill, SplittableRandom random) {
            Tensor t = Tensor.allocate(shape);
            for (int i = 0; i < t.size(); i++) {
                float v = fill == Fill.NORMALS ? (float) gaussian(random)
                        : (random.nextBoolean() ? 1 : -1) * (1 + random.nextInt(2));
                t.buffer().put(i, v);
            }
            t.markModified();
            return t;
        }

        private static double gaussian(SplittableRandom random) {
            // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
            double u = 1.0 - random.nextDouble();
            return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
        }

        private static Tensor absOf(Tensor t) {
            if (t == null) {
                return null;
            }
            Tensor a = Tensor.allocate(t.shape());
            for (int i = 0; i < t.size(); i++) {
                a.buffer().put(i, Math.abs(t.get(i)));
            }
            a.markModified();
            return a;
        }
    }

    /** The tensors one direction writes, with their names. */
    private record Outputs(String[] names, Tensor[] tensors) {

        static Outputs allocate(Plan ref, Direction dir) {
            return switch (dir) {
                case FWD -> new Outputs(new String[] {"dst"}, new Tensor[] {Tensor.allocate(ref.dstShape())});
                case BWD_D -> new Outputs(new String[] {"diff_src"}, new Tensor[] {Tensor.allocate(ref.srcShape())});
                case BWD_W -> ref.biaShape() == null
                        ? new Outputs(new String[] {"diff_wei"}, new Tensor[] {Tensor.allocate(ref.weiShape())})
                        : new Outputs(new String[] {"diff_wei", "diff_bia"},
                                new Tensor[] {Tensor.allocate(ref.weiShape()), Tensor.allocate(ref.biaShape())});
            };
        }
    }
}
