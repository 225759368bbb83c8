package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.function.Executable;

/**
 * Validation fuzzing: generated descriptors, input shapes and call-time tensors, valid and
 * invalid, on every engine.
 *
 * <ul>
 *   <li>Every invalid case is built by one mutation of a valid case, so the parameter it
 *       breaks is known: it must throw {@link IllegalArgumentException} whose one-line message
 *       starts with that parameter's name, thrown in Java before any native call: the
 *       exception has no cause and no JavaCPP frame on its stack, no native object was
 *       allocated ({@link Pointer#totalCount()} unchanged), a rejected call leaves every
 *       output tensor untouched, and the engine still computes correctly afterwards (the JVM
 *       is alive and the native state intact).</li>
 *   <li>Every valid case (small sizes) runs forward, backward-data and backward-weights on
 *       every engine, and each result agrees with the reference within
 *       {@code (K + 2)·ε·Σ|terms|}, a rigorous bound for any summation order of K terms.</li>
 *   <li>NaN and ±Inf in the data are valid input and propagate as IEEE arithmetic says (as in
 *       PyTorch): every engine puts NaN, +Inf and -Inf at the same positions as the
 *       reference.</li>
 * </ul>
 */
class ValidationFuzzProperties {

    private static final float EPS = Math.ulp(1.0f);

    /** The engines under test; every one is compared against the reference. */
    static List<Engine> engines() {
        return List.of(Engines.reference(), Engines.onednn());
    }

    // ---- invalid input ---------------------------------------------------------------------

    /** The ways a case is made invalid; {@code params} are the names the message may start with. */
    enum Bad {
        IN_CHANNELS_NONPOSITIVE("in_channels"),
        OUT_CHANNELS_NONPOSITIVE("out_channels"),
        KERNEL_NONPOSITIVE("kernel_size"),
        STRIDE_NONPOSITIVE("stride"),
        STRIDE_TOO_LARGE("stride"),
        DILATION_NONPOSITIVE("dilation"),
        PADDING_NEGATIVE("padding"),
        GROUPS_NONPOSITIVE("groups"),
        GROUPS_NOT_DIVIDING("groups"),
        DEPTH_MULTIPLIER_NONPOSITIVE("depth_multiplier"),
        WRONG_VALUE_COUNT("kernel_size", "stride", "dilation", "padding"),
        KERNEL_EXCEEDS_PADDED_INPUT("kernel_size"),
        OUTPUT_PADDING_TOO_BIG("output_padding"),
        OUTPUT_PADDING_NOT_TRANSPOSED("output_padding"),
        PADDING_MODE_TRANSPOSED("padding_mode"),
        REFLECT_PADDING_TOO_BIG("padding"),
        CIRCULAR_PADDING_TOO_BIG("padding"),
        TRANSPOSED_OUTPUT_EMPTY("padding"),
        BATCH_ZERO("input"),
        INPUT_CHANNELS_MISMATCH("input"),
        INPUT_RANK_MISMATCH("input"),
        SPATIAL_ZERO("input"),
        NEGATIVE_DIMENSION("shape"),
        INPUT_OVERFLOWS_INT("input"),
        OUTPUT_OVERFLOWS_INT("output"),
        WEIGHT_OVERFLOWS_INT("weight"),
        ELEMENT_COUNT_WRAPS_LONG("input"),
        DILATED_KERNEL_OVERFLOWS_INT("kernel_size", "dilation"),
        OUTPUT_SIZE_OVERFLOWS_INT("output"),
        PADDED_INPUT_OVERFLOWS_INT("padding"),
        CALL_WRONG_SHAPE(),
        CALL_NULL_TENSOR(),
        CALL_BIAS_PRESENCE(),
        CALL_WRONG_LAYOUT();

        final Set<String> params;

        Bad(String... params) {
            this.params = Set.of(params);
        }

        boolean atCallTime() {
            return name().startsWith("CALL_");
        }
    }

    /** One generated case: a valid base and, for invalid cases, the mutation applied to it. */
    record Case(Params p, Bad bad, Set<String> expected, Function<Plan, Executable> call, String what) {
        @Override public String toString() {
            return (bad == null ? "VALID" : bad.name()) + " " + what + " " + p;
        }
    }

    static {
        // JavaCPP counts native objects while its pointer GC is on; stopping its deallocator
        // thread keeps the GC from freeing anything, so the count is exact (as ResourceTest does).
        Pointer.interruptDeallocatorThread();
    }

    @Property(tries = 1000, seed = "8808")
    void invalidInputIsRejectedInJavaNamingTheParameter(@ForAll("invalidCases") Case c) {
        Statistics.label("kind").collect(c.bad().name());
        Statistics.label("kind").coverage(cov -> {
            for (Bad b : Bad.values()) {
                cov.check(b.name()).count(n -> n >= 10);
            }
        });
        Statistics.label("rank").collect(c.p().rank);
        int engines = 0;
        for (Engine engine : engines()) {
            Executable attempt;
            Plan plan = null;
            if (c.bad().atCallTime()) {
                plan = engine.prepare(c.p().spec(), c.p().src(), c.p().options());
                attempt = c.call().apply(plan);
            } else {
                attempt = () -> engine.prepare(c.p().spec(), c.p().src(), c.p().options()).close();
            }
            try {
                assertRejectedInJava(c, engine, attempt);
            } finally {
                if (plan != null) {
                    plan.close();
                }
            }
            assertEngineStillComputes(engine);
            engines++;
        }
        assertEquals(engines().size(), engines);
    }

    @Provide
    Arbitrary<Case> invalidCases() {
        return Arbitraries.randomValue(r -> {
            Bad bad = Bad.values()[r.nextInt(Bad.values().length)];
            return mutate(Params.valid(r), bad, r);
        });
    }

    /**
     * Throws if {@code attempt} does not fail with an {@link IllegalArgumentException} of one
     * line starting with one of the expected parameter names, thrown in Java.
     */
    private static void assertRejectedInJava(Case c, Engine engine, Executable attempt) {
        long pointersBefore = Pointer.totalCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, attempt,
                () -> engine.name() + " accepted " + c);
        String msg = e.getMessage();
        assertNotNull(msg, () -> engine.name() + ": no message for " + c);
        assertFalse(msg.contains("\n") || msg.contains("\r"), () -> "message is not one line: " + msg);
        String param = msg.contains(":") ? msg.substring(0, msg.indexOf(':')) : msg;
        assertTrue(c.expected().contains(param),
                () -> engine.name() + ": message names '" + param + "', expected one of " + c.expected()
                        + ": " + msg + " for " + c);
        assertNull(e.getCause(), () -> "wraps a cause: " + e.getCause());
        for (StackTraceElement frame : e.getStackTrace()) {
            assertFalse(frame.getClassName().startsWith("org.bytedeco"),
                    () -> engine.name() + " threw from native bindings at " + frame + " for " + c);
        }
        assertEquals(pointersBefore, Pointer.totalCount(),
                () -> engine.name() + " allocated native objects before rejecting " + c);
    }

    private static Case mutate(Params v, Bad bad, Random r) {
        Params p = v.copy();
        p.depthwiseFactory = false;   // the mutations below change channels and groups directly
        int k = r.nextInt(p.rank);
        String what = "";
        Function<Plan, Executable> call = null;
        Set<String> expected = bad.params;
        switch (bad) {
            case IN_CHANNELS_NONPOSITIVE -> p.ic = -r.nextInt(4);
            case OUT_CHANNELS_NONPOSITIVE -> p.oc = -r.nextInt(4);
            case KERNEL_NONPOSITIVE -> p.k[k] = -r.nextInt(3);
            case STRIDE_NONPOSITIVE -> p.s[k] = -r.nextInt(3);
            // oneDNN's strided backward-data kernel crashed the JVM at 65536 and 2^31 - 1
            case STRIDE_TOO_LARGE -> p.s[k] = r.nextBoolean() ? Integer.MAX_VALUE : ConvSpec.MAX_STRIDE + 1 + r.nextInt(1 << 20);
            case DILATION_NONPOSITIVE -> p.d[k] = -r.nextInt(3);
            case PADDING_NEGATIVE -> {
                p.same = p.validPad = false;
                if (r.nextBoolean()) {
                    p.pl[k] = -1 - r.nextInt(3);
                } else {
                    p.pr[k] = -1 - r.nextInt(3);
                }
            }
            case GROUPS_NONPOSITIVE -> p.groups = -r.nextInt(3);
            case GROUPS_NOT_DIVIDING -> {
                // a group count that fails to divide at least one of the channel counts
                int g = 2 + r.nextInt(4);
                while (p.ic % g == 0 && p.oc % g == 0) {
                    g++;
                }
                p.groups = g;
            }
            case DEPTH_MULTIPLIER_NONPOSITIVE -> {
                p.depthwiseFactory = true;
                p.depthMultiplier = -r.nextInt(3);
            }
            case WRONG_VALUE_COUNT -> {
                int n = p.rank == 1 ? 2 : (r.nextBoolean() ? p.rank + 1 : (p.rank == 3 ? 2 : 3));
                int[] arr = new int[n];
                Arrays.fill(arr, 1);
                switch (r.nextInt(4)) {
                    case 0 -> { p.k = arr; expected = Set.of("kernel_size"); }
                    case 1 -> { p.s = arr; expected = Set.of("stride"); }
                    case 2 -> { p.d = arr; expected = Set.of("dilation"); }
                    default -> {
                        p.same = p.validPad = false;
                        p.pl = arr;
                        p.pr = arr.clone();
                        expected = Set.of("padding");
                    }
                }
            }
            case KERNEL_EXCEEDS_PADDED_INPUT -> {
                p.transposed = false;
                p.op = zeros(p.rank);
                p.same = p.validPad = false;
                // dilated kernel exactly one more than the padded input
                int padded = p.sp[k] + p.pl[k] + p.pr[k];
                p.d[k] = 1 + r.nextInt(2);
                int need = padded + 1;                     // dk = d·(kk − 1) + 1 >= need
                p.k[k] = (need - 1 + p.d[k] - 1) / p.d[k] + 1;
            }
            case OUTPUT_PADDING_TOO_BIG -> {
                p.transposed = true;
                p.mode = PaddingMode.ZEROS;
                p.op[k] = Math.max(p.s[k], p.d[k]) + r.nextInt(3);
            }
            case OUTPUT_PADDING_NOT_TRANSPOSED -> {
                p.transposed = false;
                p.op = zeros(p.rank);
                p.op[k] = 1 + r.nextInt(2);
            }
            case PADDING_MODE_TRANSPOSED -> {
                p.transposed = true;
                p.op = zeros(p.rank);
                p.mode = PaddingMode.values()[1 + r.nextInt(3)];
            }
            case REFLECT_PADDING_TOO_BIG, CIRCULAR_PADDING_TOO_BIG -> {
                boolean reflect = bad == Bad.REFLECT_PADDING_TOO_BIG;
                p.transposed = false;
                p.op = zeros(p.rank);
                p.same = p.validPad = false;
                p.mode = reflect ? PaddingMode.REFLECT : PaddingMode.CIRCULAR;
                Arrays.fill(p.k, 1);          // keep the kernel check satisfied
                int over = p.sp[k] + (reflect ? 0 : 1) + r.nextInt(2);
                if (r.nextBoolean()) {
                    p.pl[k] = over;
                } else {
                    p.pr[k] = over;
                }
            }
            case TRANSPOSED_OUTPUT_EMPTY -> {
                p.transposed = true;
                p.mode = PaddingMode.ZEROS;
                p.same = p.validPad = false;
                p.op = zeros(p.rank);
                // o = (i − 1)·s − pl − pr + dk <= 0
                int dk = p.d[k] * (p.k[k] - 1) + 1;
                int total = (p.sp[k] - 1) * p.s[k] + dk + r.nextInt(3);
                p.pl[k] = total / 2;
                p.pr[k] = total - total / 2;
            }
            case BATCH_ZERO -> p.mb = 0;
            case INPUT_CHANNELS_MISMATCH -> p.srcChannels = p.ic + 1 + r.nextInt(3);
            case INPUT_RANK_MISMATCH -> p.srcRankDelta = r.nextBoolean() ? 1 : -1;
            case SPATIAL_ZERO -> p.sp[k] = 0;
            case NEGATIVE_DIMENSION -> p.sp[k] = -1 - r.nextInt(5);
            case INPUT_OVERFLOWS_INT -> {
                // N·C·spatial > 2^31 − 1 while every single size is a valid int
                p.asPlain();
                p.mb = 1 << (14 + r.nextInt(4));
                p.ic = p.oc = 1 << 9;
                Arrays.fill(p.sp, 1);
                p.sp[p.rank - 1] = 1 << 9;
            }
            case OUTPUT_OVERFLOWS_INT -> {
                p.asPlain();
                p.ic = 1;
                p.oc = 1 << (14 + r.nextInt(4));
                Arrays.fill(p.sp, 1);
                p.sp[p.rank - 1] = 1 << 18;
            }
            case WEIGHT_OVERFLOWS_INT -> {
                p.asPlain();
                p.ic = 1 << 16;
                p.oc = 1 << (15 + r.nextInt(3));
            }
            case ELEMENT_COUNT_WRAPS_LONG -> {
                // 2^16 · 2^16 · 2^16 · 2^16 = 2^64 wraps a long to exactly 0
                p.asPlain();
                p.rank = 2;
                p.k = new int[] {1, 1};
                p.s = new int[] {1, 1};
                p.d = new int[] {1, 1};
                p.pl = new int[] {0, 0};
                p.pr = new int[] {0, 0};
                p.op = new int[] {0, 0};
                p.mb = 1 << 16;
                p.ic = 1 << 16;
                p.oc = 1;
                p.sp = new int[] {1 << 16, 1 << 16};
            }
            case DILATED_KERNEL_OVERFLOWS_INT -> {
                // d·(k − 1) + 1 wraps an int (to exactly 1 for d = 2^16, k = 2^16 + 1)
                p.asPlain();
                p.ic = p.oc = 1;
                p.k[k] = (1 << 16) + 1;
                p.d[k] = 1 << (16 + r.nextInt(2));
                p.transposed = r.nextBoolean();
            }
            case OUTPUT_SIZE_OVERFLOWS_INT -> {
                // a transposed output (i − 1)·s + dk > 2^31 − 1, or a forward one with huge padding
                p.asPlain();
                p.ic = p.oc = 1;
                if (r.nextBoolean()) {
                    p.transposed = true;
                    p.s[k] = 1 << 15;                              // (i − 1)·s >= 2^31
                    p.sp[k] = (1 << 16) + 1 + r.nextInt(1 << 16);
                } else {
                    p.pl[k] = Integer.MAX_VALUE - r.nextInt(4);
                    p.pr[k] = Integer.MAX_VALUE - r.nextInt(4);
                }
            }
            case PADDED_INPUT_OVERFLOWS_INT -> {
                // replicate padding is materialised: the padded input must fit a tensor
                p.asPlain();
                p.ic = p.oc = 1;
                p.mode = PaddingMode.REPLICATE;
                p.s[k] = ConvSpec.MAX_STRIDE;                      // the output stays small: 2^31 / s
                p.pl[k] = 1 << 30;
                p.pr[k] = (1 << 30) + r.nextInt(8);
            }
            case CALL_WRONG_SHAPE, CALL_NULL_TENSOR, CALL_BIAS_PRESENCE, CALL_WRONG_LAYOUT -> {
                String[] roles = Role.rolesFor(bad, p.bias);
                String role = roles[r.nextInt(roles.length)];
                expected = Set.of(role);
                what = role;
                long seed = r.nextLong();
                Layout layout = p.layout;
                call = plan -> Role.call(plan, layout, role, bad, seed);
            }
        }
        return new Case(p, bad, expected, call, what);
    }

    private static int[] zeros(int n) {
        return new int[n];
    }

    /** Call-time tensor roles and the calls that take them. */
    static final class Role {
        private Role() {}

        static String[] rolesFor(Bad bad, boolean bias) {
            return switch (bad) {
                case CALL_BIAS_PRESENCE -> new String[] {"bia", "diff_bia"};
                case CALL_WRONG_LAYOUT -> new String[] {"src", "dst", "diff_dst", "diff_src"};
                case CALL_NULL_TENSOR -> new String[] {"src", "wei", "dst", "diff_dst", "diff_src", "diff_wei"};
                default -> bias
                        ? new String[] {"src", "wei", "bia", "dst", "diff_dst", "diff_src", "diff_wei", "diff_bia"}
                        : new String[] {"src", "wei", "dst", "diff_dst", "diff_src", "diff_wei"};
            };
        }

        /** A call of {@code plan} where only {@code role}'s tensor is wrong; outputs must stay untouched. */
        static Executable call(Plan plan, Layout layout, String role, Bad bad, long seed) {
            Random r = new Random(seed);
            Tensor src = random(plan.srcShape(), layout, r);
            Tensor wei = random(plan.weiShape(), Layout.CHANNELS_FIRST, r);
            Tensor bia = plan.biaShape() == null ? null : random(plan.biaShape(), Layout.CHANNELS_FIRST, r);
            Tensor dst = sentinel(plan.dstShape(), layout);
            Tensor diffDst = random(plan.dstShape(), layout, r);
            Tensor diffSrc = sentinel(plan.srcShape(), layout);
            Tensor diffWei = sentinel(plan.weiShape(), Layout.CHANNELS_FIRST);
            Tensor diffBia = plan.biaShape() == null ? null : sentinel(plan.biaShape(), Layout.CHANNELS_FIRST);
            Tensor bad1 = switch (bad) {
                case CALL_NULL_TENSOR -> null;
                case CALL_BIAS_PRESENCE -> plan.biaShape() == null
                        ? sentinel(Shape.of(plan.spec().outChannels()), Layout.CHANNELS_FIRST) : null;
                case CALL_WRONG_LAYOUT -> {
                    Shape s = role.equals("src") || role.equals("diff_src") ? plan.srcShape() : plan.dstShape();
                    yield sentinel(s, layout == Layout.CHANNELS_FIRST ? Layout.CHANNELS_LAST : Layout.CHANNELS_FIRST);
                }
                default -> {
                    Shape s = switch (role) {
                        case "src", "diff_src" -> plan.srcShape();
                        case "dst", "diff_dst" -> plan.dstShape();
                        case "wei", "diff_wei" -> plan.weiShape();
                        default -> plan.biaShape();
                    };
                    int[] dims = s.dims();
                    dims[r.nextInt(dims.length)] += 1 + r.nextInt(2);
                    yield sentinel(Shape.of(dims), s.rank() >= 3 ? layout : Layout.CHANNELS_FIRST);
                }
            };
            Tensor[] outputs = {dst, diffSrc, diffWei, diffBia, bad1};
            return () -> {
                try {
                    switch (role) {
                        case "src" -> plan.forward(bad1, wei, bia, dst);
                        case "wei" -> plan.forward(src, bad1, bia, dst);
                        case "bia" -> plan.forward(src, wei, bad1, dst);
                        case "dst" -> plan.forward(src, wei, bia, bad1);
                        case "diff_dst" -> plan.backwardData(bad1, wei, diffSrc);
                        case "diff_src" -> plan.backwardData(diffDst, wei, bad1);
                        case "diff_wei" -> plan.backwardWeights(src, diffDst, bad1, diffBia);
                        case "diff_bia" -> plan.backwardWeights(src, diffDst, diffWei, bad1);
                        default -> fail("unknown role " + role);
                    }
                } finally {
                    for (Tensor t : outputs) {
                        if (t != null && t != src && t != diffDst) {
                            assertUntouched(t, role);
                        }
                    }
                }
            };
        }
    }

    private static final float SENTINEL = 7.25f;

    private static Tensor sentinel(Shape s, Layout layout) {
        Tensor t = Tensor.allocate(s, s.rank() >= 3 ? layout : Layout.CHANNELS_FIRST);
        t.fill(SENTINEL);
        return t;
    }

    private static void assertUntouched(Tensor t, String role) {
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i) != SENTINEL) {
                throw new AssertionError("a rejected call (" + role + ") wrote output element " + i + " of " + t.shape());
            }
        }
    }

    // ---- outputs over inputs ---------------------------------------------------------------------

    /**
     * An output that shares storage with an input (the same tensor, a reshape of it, or a wrap
     * of the same array) is rejected on every engine, and nothing is written: the reference
     * engine computed garbage in place (41 off on a 2-channel 3x3 layer) while oneDNN, which
     * copies its inputs into its own layout, happened to get it right.
     */
    @net.jqwik.api.Example
    void anOutputOverAnInputIsRejected() {
        int checked = 0;
        for (Engine engine : engines()) {
            ConvSpec spec = ConvSpec.conv2d(2, 2, 3).padding(1).build();
            try (Plan plan = engine.prepare(spec, Shape.of(1, 2, 3, 6))) {
                Random r = new Random(21);
                float[] xs = new float[36];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = (float) r.nextGaussian();
                }
                float[] before = xs.clone();
                Tensor x = Tensor.wrap(xs, plan.srcShape(), Layout.CHANNELS_FIRST);
                Tensor w = random(plan.weiShape(), Layout.CHANNELS_FIRST, r);
                Tensor b = random(plan.biaShape(), Layout.CHANNELS_FIRST, r);
                Tensor dy = random(plan.dstShape(), Layout.CHANNELS_FIRST, r);
                Tensor db = Tensor.allocate(plan.biaShape());
                String rule = "; a convolution cannot write its output over an input, give it a tensor of its own";
                List<Executable> calls = List.of(
                        () -> plan.forward(x, w, b, x),
                        () -> plan.forward(x, w, b, Tensor.wrap(xs, plan.dstShape(), Layout.CHANNELS_FIRST)),
                        () -> plan.backwardData(dy, w, dy.reshape(plan.srcShape())),
                        () -> plan.backwardWeights(x, dy, x.reshape(plan.weiShape()), db));
                List<String> messages = List.of("dst: shares its storage with src" + rule, "dst: shares its storage with src" + rule,
                        "diff_src: shares its storage with diff_dst" + rule, "diff_wei: shares its storage with src" + rule);
                for (int i = 0; i < calls.size(); i++) {
                    assertEquals(messages.get(i), assertThrows(IllegalArgumentException.class, calls.get(i)).getMessage(),
                            engine.name() + " call " + i);
                    checked++;
                }
                assertTrue(java.util.Arrays.equals(before, xs), engine.name() + ": a rejected call wrote its input");
            }
        }
        assertEquals(8, checked);
    }

    // ---- the engine still works after a rejection ---------------------------------------------

    /** One prepared tiny plan per engine, reused by every try (closed after the container). */
    private static final java.util.Map<String, Plan> PROBES = new java.util.HashMap<>();

    private static void assertEngineStillComputes(Engine engine) {
        Plan plan = PROBES.computeIfAbsent(engine.name(),
                n -> engine.prepare(ConvSpec.conv1d(1, 1, 2).build(), Shape.of(1, 1, 3)));
        Tensor dst = Tensor.allocate(plan.dstShape());
        plan.forward(Tensor.of(Shape.of(1, 1, 3), 1, 2, 3), Tensor.of(Shape.of(1, 1, 2), 10, 1),
                Tensor.of(Shape.of(1), 0.5f), dst);
        assertEquals(List.of(12.5f, 23.5f), List.of(dst.get(0), dst.get(1)), engine.name());
    }

    @AfterContainer
    static void closeProbes() {
        PROBES.values().forEach(Plan::close);
        PROBES.clear();
    }

    // ---- valid input -------------------------------------------------------------------------

    @Property(tries = 160, seed = "8809")
    void validInputRunsOnEveryEngineAndAgrees(@ForAll("validCases") Params p) {
        Statistics.label("kind").collect(p.kind());
        Statistics.label("rank").collect(p.rank);
        Statistics.label("kind").coverage(cov -> {
            for (String kind : List.of("standard", "grouped", "depthwise", "transposed", "padding_mode")) {
                cov.check(kind).count(n -> n >= 10);
            }
        });
        Data ref = Data.run(Engines.reference(), p, Fill.NORMAL);
        Data abs = Data.absBound(p, ref);
        int engines = 0;
        for (Engine engine : engines()) {
            Data got = Data.run(engine, p, Fill.NORMAL);
            Data.assertAgree(ref, abs, got, p, engine.name());
            engines++;
        }
        assertEquals(engines().size(), engines);
    }

    @Provide
    Arbitrary<Params> validCases() {
        return Arbitraries.randomValue(Params::valid);
    }

    @Property(tries = 80, seed = "8810")
    void nanAndInfPropagateAsIeee(@ForAll("validCases") Params p) {
        Statistics.label("rank").collect(p.rank);
        Data ref = Data.run(Engines.reference(), p, Fill.NON_FINITE);
        int nonFinite = ref.nonFiniteCount();
        Statistics.label("outputs").collect(nonFinite > 0 ? "some non-finite" : "all finite");
        Statistics.label("outputs").coverage(cov -> cov.check("some non-finite").percentage(x -> x >= 80.0));
        int engines = 0;
        for (Engine engine : engines()) {
            Data got = Data.run(engine, p, Fill.NON_FINITE);
            int extra = Data.assertSameNonFinite(ref, got, p, engine.name());
            Statistics.label("diff_wei").collect(extra > 0 ? engine.name() + ": extra NaN (0·Inf at a padded tap)" : "same");
            engines++;
        }
        assertEquals(engines().size(), engines);
    }

    enum Fill { NORMAL, NON_FINITE }

    /** The inputs of one case and the three results of one engine. */
    record Data(Tensor src, Tensor wei, Tensor bia, Tensor diffDst,
                Tensor dst, Tensor diffSrc, Tensor diffWei, Tensor diffBia) {

        static Data inputs(Params p, Fill fill) {
            Random r = new Random(p.dataSeed);
            ConvSpec spec = p.spec();
            Shape src = p.src();
            Shape dst = spec.outputShape(src);
            Layout layout = p.layout;
            Tensor x = random(src, layout, r);
            Tensor w = random(ConvShapes.wei(spec), Layout.CHANNELS_FIRST, r);
            Tensor b = spec.bias() ? random(ConvShapes.bia(spec), Layout.CHANNELS_FIRST, r) : null;
            Tensor dy = random(dst, layout, r);
            if (fill == Fill.NON_FINITE) {
                // a few NaN and ±Inf in the activations; weights stay finite
                for (Tensor t : new Tensor[] {x, dy}) {
                    int n = 1 + r.nextInt(3);
                    for (int i = 0; i < n; i++) {
                        float v = switch (r.nextInt(3)) {
                            case 0 -> Float.NaN;
                            case 1 -> Float.POSITIVE_INFINITY;
                            default -> Float.NEGATIVE_INFINITY;
                        };
                        t.set(r.nextInt(t.size()), v);
                    }
                }
            }
            return new Data(x, w, b, dy, null, null, null, null);
        }

        static Data run(Engine engine, Params p, Fill fill) {
            return run(engine, p, inputs(p, fill));
        }

        static Data run(Engine engine, Params p, Data in) {
            try (Plan plan = engine.prepare(p.spec(), p.src(), p.options())) {
                Tensor dst = Tensor.allocate(plan.dstShape(), p.layout);
                Tensor diffSrc = Tensor.allocate(plan.srcShape(), p.layout);
                Tensor diffWei = Tensor.allocate(plan.weiShape());
                Tensor diffBia = plan.biaShape() == null ? null : Tensor.allocate(plan.biaShape());
                plan.forward(in.src, in.wei, in.bia, dst);
                plan.backwardData(in.diffDst, in.wei, diffSrc);
                plan.backwardWeights(in.src, in.diffDst, diffWei, diffBia);
                return new Data(in.src, in.wei, in.bia, in.diffDst, dst, diffSrc, diffWei, diffBia);
            }
        }

        /** The reference on |inputs|: Σ|terms| per output element, for the error bound. */
        static Data absBound(Params p, Data ref) {
            Data a = new Data(abs(ref.src), abs(ref.wei), ref.bia == null ? null : abs(ref.bia), abs(ref.diffDst),
                    null, null, null, null);
            return run(Engines.reference(), p, a);
        }

        int nonFiniteCount() {
            int n = 0;
            for (Tensor t : outputs()) {
                if (t != null) {
                    for (int i = 0; i < t.size(); i++) {
                        n += Float.isFinite(t.get(i)) ? 0 : 1;
                    }
                }
            }
            return n;
        }

        Tensor[] outputs() {
            return new Tensor[] {dst, diffSrc, diffWei, diffBia};
        }

        static void assertAgree(Data ref, Data abs, Data got, Params p, String engine) {
            String[] names = {"dst", "diff_src", "diff_wei", "diff_bia"};
            long k = p.reductionBound() + 2;
            int checked = 0;
            for (int j = 0; j < names.length; j++) {
                Tensor r = ref.outputs()[j];
                Tensor g = got.outputs()[j];
                Tensor a = abs.outputs()[j];
                if (r == null) {
                    assertNull(g);
                    continue;
                }
                for (int i = 0; i < r.size(); i++) {
                    double bound = k * EPS * (double) a.get(i) + Float.MIN_NORMAL;
                    double err = Math.abs((double) g.get(i) - r.get(i));
                    if (!(err <= bound)) {
                        fail(String.format("%s: %s[%d] = %s, reference %s, |error| %.3g > bound %.3g for %s",
                                engine, names[j], i, g.get(i), r.get(i), err, bound, p));
                    }
                    checked++;
                }
            }
            assertTrue(checked > 0);
        }

        /**
         * NaN, +Inf and -Inf at the same positions, except that {@code diff_wei} may hold an
         * extra NaN where a non-finite value meets a padded zero ({@code 0·Inf = NaN}, IEEE): the
         * reference skips padded taps, some oneDNN kernels multiply by the zero. Returns how
         * many such extra NaN there were.
         */
        static int assertSameNonFinite(Data ref, Data got, Params p, String engine) {
            String[] names = {"dst", "diff_src", "diff_wei", "diff_bia"};
            int extra = 0;
            for (int j = 0; j < names.length; j++) {
                Tensor r = ref.outputs()[j];
                Tensor g = got.outputs()[j];
                if (r == null) {
                    continue;
                }
                for (int i = 0; i < r.size(); i++) {
                    float a = r.get(i);
                    float b = g.get(i);
                    boolean same = Float.isNaN(a) ? Float.isNaN(b) : Float.isInfinite(a) ? a == b : Float.isFinite(b);
                    if (!same && j == 2 && Float.isNaN(b)) {
                        extra++;
                        continue;
                    }
                    if (!same) {
                        fail(String.format("%s: %s[%d] = %s, reference %s for %s", engine, names[j], i, b, a, p));
                    }
                }
            }
            return extra;
        }
    }

    static Tensor random(Shape s, Layout layout, Random r) {
        Tensor t = Tensor.allocate(s, s.rank() >= 3 ? layout : Layout.CHANNELS_FIRST);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) r.nextGaussian());
        }
        return t;
    }

    private static Tensor abs(Tensor t) {
        Tensor a = t.copy();
        for (int i = 0; i < a.size(); i++) {
            a.set(i, Math.abs(a.get(i)));
        }
        return a;
    }

    // ---- generated parameters ------------------------------------------------------------------

    /** Mutable parameters of one case; {@link #valid} builds a valid one by construction. */
    static final class Params {
        int rank;
        int ic;
        int oc;
        int groups;
        boolean depthwiseFactory; // built through ConvSpec.depthwise(rank, ic, depthMultiplier, k)
        int depthMultiplier;
        int[] k;
        int[] s;
        int[] d;
        int[] pl;
        int[] pr;
        int[] op;
        boolean same;
        boolean validPad;
        PaddingMode mode = PaddingMode.ZEROS;
        boolean transposed;
        boolean bias;
        int mb;
        int srcChannels = -1;     // >= 0: overrides the input's channel count
        int srcRankDelta;
        int[] sp;
        Layout layout = Layout.CHANNELS_FIRST;
        long dataSeed;

        static Params valid(Random r) {
            Params p = new Params();
            p.rank = 1 + r.nextInt(3);
            p.transposed = r.nextInt(4) == 0;
            int kind = r.nextInt(3);
            if (kind == 0) {
                p.groups = 1;
                p.ic = 1 + r.nextInt(4);
                p.oc = 1 + r.nextInt(4);
            } else if (kind == 1) {
                p.groups = 2 + r.nextInt(2);
                p.ic = p.groups * (1 + r.nextInt(2));
                p.oc = p.groups * (1 + r.nextInt(2));
            } else {
                p.groups = p.ic = 2 + r.nextInt(3);
                p.oc = p.ic * (1 + r.nextInt(2));
                p.depthwiseFactory = !p.transposed && r.nextBoolean();
                p.depthMultiplier = p.oc / p.ic;
            }
            int maxK = p.rank == 3 ? 2 : 3;
            p.k = new int[p.rank];
            p.s = new int[p.rank];
            p.d = new int[p.rank];
            p.pl = new int[p.rank];
            p.pr = new int[p.rank];
            p.op = new int[p.rank];
            p.sp = new int[p.rank];
            int style = r.nextInt(10);
            p.same = style == 0;
            p.validPad = style == 1;
            if (!p.transposed && !p.same && !p.validPad && r.nextInt(3) == 0) {
                p.mode = PaddingMode.values()[1 + r.nextInt(3)];
            }
            for (int j = 0; j < p.rank; j++) {
                p.k[j] = 1 + r.nextInt(maxK);
                p.s[j] = 1 + (r.nextInt(4) == 0 ? 1 + r.nextInt(2) : r.nextInt(2));
                p.d[j] = 1 + r.nextInt(2);
                if (!p.same && !p.validPad) {
                    p.pl[j] = r.nextInt(3);
                    p.pr[j] = r.nextInt(3);
                }
                int dk = p.d[j] * (p.k[j] - 1) + 1;
                int extra = r.nextInt(p.rank == 3 ? 2 : 4);
                if (p.transposed) {
                    p.op[j] = r.nextInt(Math.max(p.s[j], p.d[j]));
                    // o = (i − 1)·s − pl − pr + dk + op >= 1
                    int i = 1;
                    while ((i - 1) * p.s[j] - p.pl[j] - p.pr[j] + dk + p.op[j] < 1) {
                        i++;
                    }
                    p.sp[j] = i + extra;
                } else {
                    int min = Math.max(1, dk - p.pl[j] - p.pr[j]);
                    if (p.mode == PaddingMode.REFLECT) {
                        min = Math.max(min, Math.max(p.pl[j], p.pr[j]) + 1);
                    } else if (p.mode == PaddingMode.CIRCULAR) {
                        min = Math.max(min, Math.max(p.pl[j], p.pr[j]));
                    }
                    if (p.validPad) {
                        min = Math.max(min, dk);
                    }
                    p.sp[j] = min + extra;
                }
            }
            p.bias = r.nextBoolean();
            p.mb = 1 + r.nextInt(2);
            p.layout = p.rank >= 1 && r.nextInt(4) == 0 ? Layout.CHANNELS_LAST : Layout.CHANNELS_FIRST;
            p.dataSeed = r.nextLong();
            return p;
        }

        /** A plain convolution with kernel 1 and no padding: the base of the overflow cases. */
        void asPlain() {
            groups = 1;
            transposed = false;
            mode = PaddingMode.ZEROS;
            same = validPad = false;
            Arrays.fill(k, 1);
            Arrays.fill(s, 1);
            Arrays.fill(d, 1);
            Arrays.fill(pl, 0);
            Arrays.fill(pr, 0);
            Arrays.fill(op, 0);
        }

        Params copy() {
            Params p = new Params();
            p.rank = rank;
            p.ic = ic;
            p.oc = oc;
            p.groups = groups;
            p.depthwiseFactory = depthwiseFactory;
            p.depthMultiplier = depthMultiplier;
            p.k = k.clone();
            p.s = s.clone();
            p.d = d.clone();
            p.pl = pl.clone();
            p.pr = pr.clone();
            p.op = op.clone();
            p.same = same;
            p.validPad = validPad;
            p.mode = mode;
            p.transposed = transposed;
            p.bias = bias;
            p.mb = mb;
            p.srcChannels = srcChannels;
            p.srcRankDelta = srcRankDelta;
            p.sp = sp.clone();
            p.layout = layout;
            p.dataSeed = dataSeed;
            return p;
        }

        ConvSpec spec() {
            ConvSpec.Builder b = depthwiseFactory
                    ? ConvSpec.depthwise(rank, ic, depthMultiplier, k)
                    : ConvSpec.builder(rank, ic, oc, k).groups(groups);
            b.stride(s).dilation(d).paddingMode(mode).transposed(transposed).outputPadding(op).bias(bias);
            if (same) {
                b.padding(Padding.same());
            } else if (validPad) {
                b.padding(Padding.valid());
            } else {
                b.padding(pl, pr);
            }
            return b.build();
        }

        Shape src() {
            List<Integer> dims = new ArrayList<>();
            dims.add(mb);
            dims.add(srcChannels >= 0 ? srcChannels : ic);
            for (int v : sp) {
                dims.add(v);
            }
            if (srcRankDelta > 0) {
                dims.add(2);
            } else if (srcRankDelta < 0) {
                dims.remove(dims.size() - 1);
            }
            return Shape.of(dims.stream().mapToInt(Integer::intValue).toArray());
        }

        PlanOptions options() {
            return PlanOptions.DEFAULT.withUserLayout(layout);
        }

        String kind() {
            if (transposed) {
                return "transposed";
            }
            if (mode != PaddingMode.ZEROS) {
                return "padding_mode";
            }
            return groups == 1 ? "standard" : groups == ic ? "depthwise" : "grouped";
        }

        /** An upper bound on the number of terms any output element of any direction sums. */
        long reductionBound() {
            long kk = 1;
            long in = 1;
            long out = 1;
            Shape dst = spec().outputShape(src());
            for (int j = 0; j < rank; j++) {
                kk *= k[j];
                in *= sp[j];
                out *= dst.spatial(j);
            }
            long perGroup = Math.max(ic, oc) / groups;
            long terms = Math.max(perGroup * kk + 1, (long) mb * Math.max(in, out));
            if (mode != PaddingMode.ZEROS) {
                // backward-data folds the gradient of every padded copy back onto its source
                for (int j = 0; j < rank; j++) {
                    terms *= 1 + pl[j] + pr[j];
                }
            }
            return terms;
        }

        @Override public String toString() {
            return String.format("rank=%d ic=%d oc=%d groups=%d mult=%s k=%s s=%s d=%s pad=%s op=%s mode=%s transposed=%b"
                            + " bias=%b mb=%d srcC=%d rankDelta=%d spatial=%s layout=%s",
                    rank, ic, oc, groups, depthwiseFactory ? depthMultiplier : "-", Arrays.toString(k), Arrays.toString(s), Arrays.toString(d),
                    same ? "same" : validPad ? "valid" : Arrays.toString(pl) + "/" + Arrays.toString(pr),
                    Arrays.toString(op), mode, transposed, bias, mb, srcChannels, srcRankDelta, Arrays.toString(sp), layout);
        }
    }
}
