package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Shape;
import java.util.Arrays;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * oneDNN against the reference on generated layers: ranks 1-3; standard, grouped, depthwise
 * (with a channel multiplier), transposed and grouped transposed; stride, dilation,
 * asymmetric padding, every padding mode, output padding, bias on and off, minibatch 1-3;
 * every direction on both fills. The statistics the run reports (and checks) show the mix.
 */
class ParityProperties {
    static final int TRIES = 150;
    /** Keeps each try quick: the reference runs 3 passes per direction. */
    static final long MAC_BUDGET = 60_000;

    enum Kind { STANDARD, GROUPED, DEPTHWISE, TRANSPOSED, TRANSPOSED_GROUPED }

    /** One generated layer and input. */
    record Case(Kind kind, ConvSpec spec, Shape src) {
        @Override public String toString() {
            return spec + " on " + src;
        }
    }

    @Property(tries = TRIES, seed = "20261125", maxDiscardRatio = 10)
    void oneDnnMatchesTheReference(@ForAll("cases") Case c) {
        Statistics.label("kind").collect(c.kind());
        Statistics.label("rank").collect(c.spec().rank());
        Statistics.label("padding mode").collect(c.spec().paddingMode());
        Statistics.label("bias").collect(c.spec().bias());
        Statistics.label("strided").collect(Arrays.stream(c.spec().stride()).anyMatch(s -> s > 1));
        Statistics.label("dilated").collect(Arrays.stream(c.spec().dilation()).anyMatch(d -> d > 1));
        Statistics.label("asymmetric padding").collect(
                !Arrays.equals(ConvShapes.padLeft(c.spec(), c.src()), ConvShapes.padRight(c.spec(), c.src())));
        Statistics.label("output padding").collect(Arrays.stream(c.spec().outputPadding()).anyMatch(p -> p > 0));
        Statistics.label("mb").collect(c.src().dim(0));
        int comparisons = 0;
        try (Plan plan = Engines.onednn().prepare(c.spec(), c.src())) {
            for (Direction dir : Direction.values()) {
                for (Result r : Parity.check(plan, dir, 11)) {
                    Statistics.label("status").collect(r.status());
                    assertNotEquals(Status.FAILED, r.status(), () -> c + ": " + r.describe());
                    comparisons++;
                }
            }
        }
        assertEquals(6, comparisons, "3 directions x 2 fills");

        Statistics.label("kind").coverage(cov -> {
            for (Kind k : Kind.values()) {
                cov.check(k).percentage(p -> p >= 8);
            }
        });
        Statistics.label("rank").coverage(cov -> {
            for (int rank = 1; rank <= 3; rank++) {
                cov.check(rank).percentage(p -> p >= 15);
            }
        });
        Statistics.label("padding mode").coverage(cov -> {
            for (PaddingMode m : PaddingMode.values()) {
                cov.check(m).count(n -> n >= 5);
            }
        });
        Statistics.label("output padding").coverage(cov -> cov.check(true).count(n -> n >= 5));
        Statistics.label("asymmetric padding").coverage(cov -> cov.check(true).count(n -> n >= 10));
        Statistics.label("bias").coverage(cov -> cov.check(false).count(n -> n >= 10));
        Statistics.label("status").coverage(cov -> cov.check(Status.PASSED).percentage(p -> p >= 90));
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<int[]> small = Arbitraries.integers().between(1, 3).array(int[].class).ofSize(3);
        Arbitrary<int[]> pads = Arbitraries.integers().between(0, 2).array(int[].class).ofSize(3);
        Arbitrary<int[]> dilations = Arbitraries.integers().between(1, 2).array(int[].class).ofSize(3);
        Arbitrary<int[]> sizes = Arbitraries.integers().between(1, 9).array(int[].class).ofSize(3);
        return Combinators.combine(
                        Arbitraries.integers().between(1, 3),
                        Arbitraries.of(Kind.class),
                        small,          // channels: groups (or depthwise channels), per-group in, per-group out
                        small,          // kernel
                        small,          // stride
                        dilations,
                        pads,           // left
                        pads)           // right
                .as(Partial::new)
                .flatMap(p -> Combinators.combine(
                                Arbitraries.of(PaddingMode.class),
                                Arbitraries.integers().between(0, 2).array(int[].class).ofSize(3),
                                Arbitraries.of(true, false),
                                Arbitraries.integers().between(1, 3),
                                sizes)
                        .as(p::complete))
                .filter(Optional::isPresent)
                .map(Optional::get);
    }

    /** The first half of a case: everything but padding mode, output padding, bias, mb and sizes. */
    record Partial(int rank, Kind kind, int[] channels, int[] kernel, int[] stride, int[] dilation, int[] padLeft, int[] padRight) {

        /** The case, or empty when the combination is not a valid layer or is over budget. */
        Optional<Case> complete(PaddingMode mode, int[] outputPadding, boolean bias, int mb, int[] sizes) {
            boolean transposed = kind == Kind.TRANSPOSED || kind == Kind.TRANSPOSED_GROUPED;
            int groups = switch (kind) {
                case STANDARD, TRANSPOSED -> 1;
                case GROUPED, TRANSPOSED_GROUPED -> 1 + channels[0];          // 2..4
                case DEPTHWISE -> 1 + channels[0];                            // in_channels 2..4
            };
            int in = kind == Kind.DEPTHWISE ? groups : groups * channels[1];
            int out = groups * channels[2];   // depthwise: the channel multiplier is 1..3
            int r = rank;
            int[] op = new int[r];
            int[] src = new int[r + 2];
            src[0] = mb;
            src[1] = in;
            for (int k = 0; k < r; k++) {
                if (transposed) {
                    op[k] = outputPadding[k] % Math.max(stride[k], dilation[k]);   // PyTorch's rule
                }
                int dk = dilation[k] * (kernel[k] - 1) + 1;
                // Large enough that the kernel fits the padded input (transposed: any size works).
                src[2 + k] = transposed ? sizes[k] : Math.max(sizes[k], dk - padLeft[k] - padRight[k]);
                if (r == 3) {
                    src[2 + k] = Math.min(src[2 + k], 6);
                }
            }
            try {
                ConvSpec spec = ConvSpec.builder(r, in, out, Arrays.copyOf(kernel, r))
                        .stride(Arrays.copyOf(stride, r)).dilation(Arrays.copyOf(dilation, r))
                        .padding(Arrays.copyOf(padLeft, r), Arrays.copyOf(padRight, r))
                        .groups(groups).transposed(transposed).outputPadding(op).bias(bias)
                        .paddingMode(transposed ? PaddingMode.ZEROS : mode).build();
                Shape s = Shape.of(src);
                ConvShapes.validateInput(spec, s);
                return ConvShapes.macs(spec, s) <= MAC_BUDGET ? Optional.of(new Case(kind, spec, s)) : Optional.empty();
            } catch (IllegalArgumentException e) {
                return Optional.empty();   // e.g. reflect padding wider than the input
            }
        }
    }
}
