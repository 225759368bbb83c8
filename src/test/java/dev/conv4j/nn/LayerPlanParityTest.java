package dev.conv4j.nn;

import static dev.conv4j.nn.NnTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each layer's forward and backward equal the functional {@link Plan} of its spec on the same
 * engine, and two backward calls accumulate the sum of their gradients.
 */
class LayerPlanParityTest {
    private static int checked;

    record Case(String name, Function<Engine, ConvLayer> layer, Shape input) {
        @Override public String toString() { return name; }
    }

    static List<Case> cases() {
        return List.of(
                new Case("Conv1d groups=2 stride=2 pad=1", e -> Conv1d.builder(4, 6, 3).groups(2).stride(2).padding(1)
                        .engine(e).seed(1).build(), Shape.of(2, 4, 9)),
                new Case("Conv2d same", e -> Conv2d.builder(4, 6, 3).padding("same").engine(e).seed(2).build(),
                        Shape.of(2, 4, 7, 6)),
                new Case("Conv2d reflect dilation=2", e -> Conv2d.builder(3, 4, 3).padding(2).dilation(2)
                        .paddingMode(PaddingMode.REFLECT).engine(e).seed(3).build(), Shape.of(1, 3, 6, 7)),
                new Case("Conv2d channels-last valid no-bias", e -> Conv2d.builder(3, 5, 2, 3).padding("valid").bias(false)
                        .channelsLast().engine(e).seed(4).build(), Shape.of(2, 3, 5, 6)),
                new Case("Conv3d stride=(1,2,2) pad=1", e -> Conv3d.builder(2, 4, 2, 3, 3).stride(1, 2, 2).padding(1)
                        .engine(e).seed(5).build(), Shape.of(1, 2, 4, 6, 5)),
                new Case("ConvTranspose1d groups=2 output_padding=1", e -> ConvTranspose1d.builder(4, 2, 3).stride(2)
                        .outputPadding(1).groups(2).engine(e).seed(6).build(), Shape.of(2, 4, 5)),
                new Case("ConvTranspose2d stride=2 pad=1 output_padding=1 no-bias", e -> ConvTranspose2d.builder(4, 6, 3)
                        .stride(2).padding(1).outputPadding(1).bias(false).engine(e).seed(7).build(), Shape.of(1, 4, 4, 5)),
                new Case("ConvTranspose3d stride=2", e -> ConvTranspose3d.builder(2, 3, 2).stride(2).engine(e).seed(8).build(),
                        Shape.of(1, 2, 2, 3, 2)),
                new Case("DepthwiseConv2d x2 replicate", e -> DepthwiseConv2d.builder(3, 2, 3).padding(1)
                        .paddingMode(PaddingMode.REPLICATE).engine(e).seed(9).build(), Shape.of(2, 3, 5, 5)));
    }

    static Stream<Arguments> layersOnEngines() {
        List<Arguments> out = new ArrayList<>();
        for (Engine e : NnTesting.engines()) {
            for (Case c : cases()) {
                out.add(Arguments.of(e.name(), c));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("layersOnEngines")
    void layerEqualsPlanAndAccumulates(String engineName, Case c) {
        Engine engine = NnTesting.engines().stream().filter(e -> e.name().equals(engineName)).findFirst().orElseThrow();
        Random rng = new Random(c.name().hashCode());
        try (ConvLayer layer = c.layer().apply(engine)) {
            Layout layout = layer.layout();
            ConvSpec spec = layer.spec();
            Tensor x = randn(c.input(), layout, rng);
            Tensor y = layer.forward(x);

            try (Plan plan = engine.prepare(spec, c.input(), PlanOptions.DEFAULT.withUserLayout(layout))) {
                Tensor w = layer.weight().value();
                Tensor b = layer.bias() == null ? null : layer.bias().value();
                Tensor yRef = Tensor.allocate(plan.dstShape(), layout);
                plan.forward(x, w, b, yRef);
                assertEquals(plan.dstShape(), y.shape());
                assertEquals(layout, y.layout());
                assertArrayEquals(yRef.toArray(), y.toArray(), "forward");
                assertTrue(NnTesting.nonZero(y) > y.size() / 2, "forward output mostly zero");

                Tensor dy1 = randn(y.shape(), layout, rng);
                Tensor dy2 = randn(y.shape(), layout, rng);
                Tensor dx1 = layer.backward(dy1);
                Tensor dx2 = layer.backward(dy2);

                Tensor dxRef = Tensor.allocate(plan.srcShape(), layout);
                Tensor dwRef1 = Tensor.allocate(plan.weiShape());
                Tensor dwRef2 = Tensor.allocate(plan.weiShape());
                Tensor dbRef1 = b == null ? null : Tensor.allocate(plan.biaShape());
                Tensor dbRef2 = b == null ? null : Tensor.allocate(plan.biaShape());
                plan.backwardData(dy1, w, dxRef);
                assertArrayEquals(dxRef.toArray(), dx1.toArray(), "backward data, first call");
                plan.backwardData(dy2, w, dxRef);
                assertArrayEquals(dxRef.toArray(), dx2.toArray(), "backward data, second call");
                assertEquals(layout, dx1.layout());

                plan.backwardWeights(x, dy1, dwRef1, dbRef1);
                plan.backwardWeights(x, dy2, dwRef2, dbRef2);
                assertArrayEquals(NnTesting.sum(dwRef1.toArray(), dwRef2.toArray()), layer.weight().grad().toArray(),
                        "weight grad accumulates the sum of two backward calls");
                assertTrue(NnTesting.nonZero(layer.weight().grad()) > 0);
                if (b != null) {
                    assertArrayEquals(NnTesting.sum(dbRef1.toArray(), dbRef2.toArray()), layer.bias().grad().toArray(),
                            "bias grad accumulates the sum of two backward calls");
                }

                layer.zeroGrad();
                assertEquals(0, NnTesting.nonZero(layer.weight().grad()));
                layer.backward(dy1, null);   // weights only
                assertArrayEquals(dwRef1.toArray(), layer.weight().grad().toArray(), "grad after zeroGrad");
            }
            assertEquals(1, layer.cachedPlans());
        }
        checked++;
    }

    @AfterAll
    static void allCasesRan() {
        assertEquals(cases().size() * NnTesting.engines().size(), checked);
    }
}
