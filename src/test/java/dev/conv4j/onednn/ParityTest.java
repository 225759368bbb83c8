package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.Padding;
import dev.conv4j.ProblemDesc;
import dev.conv4j.cli.BatchFile;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * oneDNN against the reference on every shipped problem list, in every direction, on both
 * fills, as convolutions and as transposed convolutions. The display name of a case is its
 * descriptor, a repro line for {@code conv4j check --problem} (with {@code --deconv}).
 *
 * <p>To fit the test budget the minibatch is 1 and, where a layer would take the reference
 * more than {@value #MAC_BUDGET} multiply-accumulates, its spatial input is halved (keeping
 * kernel, stride, padding and dilation) until it fits. {@code conv4j check --mb 1} runs the
 * layers at full size. The transposed case of a convolution is its adjoint layer, as in a
 * decoder: input the convolution's output, output its input size (with output_padding where
 * the stride skipped rows).
 */
class ParityTest {
    /** The most multiply-accumulates one direction of a case may cost the reference. */
    static final long MAC_BUDGET = 1_000_000;
    static final long SEED = 3;
    static final List<String> CONV_LISTS = List.of("shapes_resnet_50", "shapes_mobilenet", "shapes_mobilenet_dw", "shapes_conv4j_edge");
    static final String DECONV_LIST = "shapes_conv4j_edge_deconv";
    /** Problems in the lists above: 20 + 11 + 9 + 13 convolutions, 9 transposed convolutions. */
    static final int CONV_PROBLEMS = 53;
    static final int DECONV_PROBLEMS = 9;

    static Stream<Arguments> convolutions() {
        List<Arguments> out = new ArrayList<>();
        for (String list : CONV_LISTS) {
            for (String line : BatchFile.read(list)) {
                ProblemDesc p = shrink(ProblemDesc.parse(line).withMb(1));
                out.add(Arguments.of(p.format(), p));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> transposed() {
        List<Arguments> out = new ArrayList<>();
        convolutions().forEach(a -> {
            ProblemDesc t = adjoint((ProblemDesc) a.get()[1]);
            out.add(Arguments.of("--deconv " + t.format(), t));
        });
        for (String line : BatchFile.read(DECONV_LIST)) {
            ProblemDesc p = shrink(ProblemDesc.parse(line, true).withMb(1));
            out.add(Arguments.of("--deconv " + p.format(), p));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convolutions")
    void convolution(String name, ProblemDesc p) {
        checkAllDirections(p);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transposed")
    void transposedConvolution(String name, ProblemDesc p) {
        checkAllDirections(p);
    }

    private static void checkAllDirections(ProblemDesc p) {
        int comparisons = 0;
        try (Plan plan = Engines.onednn().prepare(p.spec(), p.src())) {
            for (Direction dir : Direction.values()) {
                for (Result r : Parity.check(plan, dir, SEED)) {
                    assertEquals(Status.PASSED, r.status(), () -> p.format() + ": " + r.describe());
                    comparisons++;
                }
            }
        }
        assertEquals(6, comparisons, "3 directions x 2 fills");
    }

    @Test void theListsHaveTheExpectedNumberOfProblems() {
        assertEquals(CONV_PROBLEMS, convolutions().count());
        assertEquals(CONV_PROBLEMS + DECONV_PROBLEMS, transposed().count());
    }

    /** {@code p} with its spatial input halved, largest dimension first, until it fits {@link #MAC_BUDGET}. */
    static ProblemDesc shrink(ProblemDesc p) {
        ProblemDesc cur = p;
        boolean[] frozen = new boolean[p.spec().rank()];
        while (ConvShapes.macs(cur.spec(), cur.src()) > MAC_BUDGET) {
            int widest = -1;
            for (int k = 0; k < frozen.length; k++) {
                if (!frozen[k] && (widest < 0 || cur.src().spatial(k) > cur.src().spatial(widest))) {
                    widest = k;
                }
            }
            if (widest < 0) {
                break;
            }
            int size = cur.src().spatial(widest);
            ProblemDesc smaller = size > 1 ? tryInput(cur, cur.src().with(2 + widest, (size + 1) / 2)) : null;
            if (smaller == null) {
                frozen[widest] = true;
            } else {
                cur = smaller;
            }
        }
        return cur;
    }

    private static ProblemDesc tryInput(ProblemDesc p, Shape src) {
        try {
            return new ProblemDesc(p.name(), p.spec(), src, p.deconv());
        } catch (IllegalArgumentException e) {
            return null;   // the kernel no longer fits: keep this size
        }
    }

    /**
     * The transposed convolution that is {@code conv}'s adjoint: channels swapped, the same
     * kernel, stride, padding, dilation and groups, input of {@code conv}'s output shape, and
     * the output_padding that gives back {@code conv}'s input size.
     */
    static ProblemDesc adjoint(ProblemDesc conv) {
        ConvSpec c = conv.spec();
        Shape dst = conv.dst();
        int rank = c.rank();
        int[] pl = ConvShapes.padLeft(c, conv.src());
        int[] pr = ConvShapes.padRight(c, conv.src());
        int[] op = new int[rank];
        for (int k = 0; k < rank; k++) {
            // (i + pl + pr − dk) mod s: the input rows the strided convolution never reached.
            op[k] = Math.floorMod(conv.src().spatial(k) + pl[k] + pr[k] - ConvShapes.dilatedKernel(c, k), c.stride(k));
        }
        ConvSpec t = ConvSpec.builder(rank, c.outChannels(), c.inChannels(), c.kernelSize())
                .stride(c.stride()).padding(Padding.of(pl, pr)).dilation(c.dilation()).groups(c.groups())
                .transposed(true).outputPadding(op).build();
        ProblemDesc out = new ProblemDesc(conv.name(), t, dst, true);
        assertEquals(conv.src(), out.dst(), () -> "adjoint of " + conv.format());
        return out;
    }
}
