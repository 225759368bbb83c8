package dev.conv4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Padding;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.ConvCases.Case;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backward passes as adjoints of the forward map (bias excluded), for every row of
 * {@link ConvCases}; and a transposed convolution as the backward-data of the plain
 * convolution it transposes.
 */
class AdjointTest {

    static Stream<Arguments> cases() {
        List<Case> all = ConvCases.all();
        return IntStream.range(0, all.size()).mapToObj(i -> Arguments.of(all.get(i), 2000L + i));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardIsTheAdjointOfForward(Case c, long seed) {
        try (Plan plan = c.prepare()) {
            assertEquals(c.spec().bias() ? 3 : 2, Checks.adjoint(plan, c.layout(), seed));
        }
    }

    /**
     * The transposed rows whose matching plain convolution exists: it maps the transposed
     * output size back onto the input size only when {@code output_padding < stride}.
     */
    static Stream<Arguments> transposedCases() {
        List<Case> ts = ConvCases.transposed().stream().filter(AdjointTest::hasPlainMatch).toList();
        return IntStream.range(0, ts.size()).mapToObj(i -> Arguments.of(ts.get(i), 3000L + i));
    }

    private static boolean hasPlainMatch(Case c) {
        for (int k = 0; k < c.spec().rank(); k++) {
            if (c.spec().outputPadding(k) >= c.spec().stride(k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The plain convolution a transposed one is the adjoint of: channels swapped, the same
     * weight tensor ({@code [IC, OC/G, K...]} of the transposed layer is {@code [OC, IC/G, K...]}
     * of the plain one), the same stride, dilation, groups and resolved padding.
     */
    static ConvSpec plainMatch(ConvSpec t, dev.conv4j.tensor.Shape src) {
        return ConvSpec.builder(t.rank(), t.outChannels(), t.inChannels(), t.kernelSize())
                .stride(t.stride()).dilation(t.dilation()).groups(t.groups())
                .padding(Padding.of(ConvShapes.padLeft(t, src), ConvShapes.padRight(t, src)))
                .bias(false).build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transposedCases")
    void transposedIsBackwardDataOfThePlainConvolution(Case c, long seed) {
        ConvSpec t = c.spec().toBuilder().bias(false).build();
        ConvSpec p = plainMatch(t, c.src());
        PlanOptions options = PlanOptions.DEFAULT.withUserLayout(c.layout());
        try (Plan tp = Engines.reference().prepare(t, c.src(), options);
             Plan pp = Engines.reference().prepare(p, tp.dstShape(), options)) {
            assertEquals(tp.srcShape(), pp.dstShape(), "the plain convolution maps the transposed output back to its input");
            assertEquals(tp.weiShape(), pp.weiShape(), "one weight tensor serves both");
            Random rnd = new Random(seed);
            Tensor x = Checks.random(tp.srcShape(), c.layout(), rnd);
            Tensor w = Checks.random(tp.weiShape(), Layout.CHANNELS_FIRST, rnd);
            Tensor dy = Checks.random(tp.dstShape(), c.layout(), rnd);

            // transposed forward = plain backward-data
            Tensor y = Checks.like(dy);
            tp.forward(x, w, null, y);
            Tensor plainDx = Checks.like(dy);
            pp.backwardData(x, w, plainDx);
            assertArrayEquals(plainDx.toArray(), y.toArray());

            // transposed backward-data = plain forward
            Tensor dx = Checks.like(x);
            tp.backwardData(dy, w, dx);
            Tensor plainY = Checks.like(x);
            pp.forward(dy, w, null, plainY);
            assertArrayEquals(plainY.toArray(), dx.toArray());

            // transposed backward-weights = plain backward-weights with input and output gradient swapped
            Tensor dw = Checks.like(w);
            tp.backwardWeights(x, dy, dw, null);
            Tensor plainDw = Checks.like(w);
            pp.backwardWeights(dy, x, plainDw, null);
            assertArrayEquals(plainDw.toArray(), dw.toArray());

            assertTrue(Checks.dot(y, y) > 0 && Checks.dot(dx, dx) > 0 && Checks.dot(w, dw) != 0, "all-zero results prove nothing");
        }
    }

    @Test
    void transposedSweepCoversEveryRank() {
        List<Case> ts = ConvCases.transposed().stream().filter(AdjointTest::hasPlainMatch).toList();
        assertEquals(3 * 6, ts.size());
        for (int r = 1; r <= 3; r++) {
            int rank = r;
            assertTrue(ts.stream().anyMatch(c -> c.spec().rank() == rank && c.spec().groups() > 1));
            assertTrue(ts.stream().anyMatch(c -> c.spec().rank() == rank && c.layout() == Layout.CHANNELS_LAST));
        }
    }
}
