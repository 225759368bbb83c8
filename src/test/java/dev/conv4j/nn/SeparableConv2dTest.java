package dev.conv4j.nn;

import static dev.conv4j.nn.NnTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** SeparableConv2d equals a depthwise plan followed by a pointwise plan, forward and backward. */
class SeparableConv2dTest {

    @Test
    void equalsTwoChainedPlansOnEveryEngine() {
        int checked = 0;
        for (Engine engine : NnTesting.engines()) {
            Random rng = new Random(21);
            try (SeparableConv2d layer = SeparableConv2d.builder(3, 5, 3).depthMultiplier(2).stride(2).padding("same")
                    .depthwiseBias(true).engine(engine).seed(5).build()) {
                assertEquals(List.of("depthwise.weight", "depthwise.bias", "pointwise.weight", "pointwise.bias"),
                        List.copyOf(layer.namedParameters().keySet()));
                assertEquals("depthwise.weight", layer.depthwise().weight().name());
                assertSame(layer.pointwise().weight(), layer.namedParameters().get("pointwise.weight"));
                assertEquals(Shape.of(6, 1, 3, 3), layer.depthwise().weight().shape());
                assertEquals(Shape.of(5, 6, 1, 1), layer.pointwise().weight().shape());

                Shape in = Shape.of(2, 3, 7, 6);
                Tensor x = randn(in, rng);
                Tensor y = layer.forward(x);
                Tensor dy = randn(y.shape(), rng);
                Tensor dx = layer.backward(dy);
                layer.backward(dy);   // accumulate twice

                try (Plan dw = engine.prepare(layer.depthwise().spec(), in, PlanOptions.DEFAULT);
                     Plan pw = engine.prepare(layer.pointwise().spec(), dw.dstShape(), PlanOptions.DEFAULT)) {
                    Tensor h = Tensor.allocate(dw.dstShape());
                    dw.forward(x, layer.depthwise().weight().value(), layer.depthwise().bias().value(), h);
                    Tensor yRef = Tensor.allocate(pw.dstShape());
                    pw.forward(h, layer.pointwise().weight().value(), layer.pointwise().bias().value(), yRef);
                    assertArrayEquals(yRef.toArray(), y.toArray());

                    Tensor dh = Tensor.allocate(dw.dstShape());
                    pw.backwardData(dy, layer.pointwise().weight().value(), dh);
                    Tensor dxRef = Tensor.allocate(in);
                    dw.backwardData(dh, layer.depthwise().weight().value(), dxRef);
                    assertArrayEquals(dxRef.toArray(), dx.toArray());

                    Tensor dwp = Tensor.allocate(pw.weiShape());
                    Tensor dbp = Tensor.allocate(pw.biaShape());
                    pw.backwardWeights(h, dy, dwp, dbp);
                    Tensor dwd = Tensor.allocate(dw.weiShape());
                    Tensor dbd = Tensor.allocate(dw.biaShape());
                    dw.backwardWeights(x, dh, dwd, dbd);
                    assertArrayEquals(NnTesting.sum(dwp.toArray(), dwp.toArray()), layer.pointwise().weight().grad().toArray());
                    assertArrayEquals(NnTesting.sum(dbp.toArray(), dbp.toArray()), layer.pointwise().bias().grad().toArray());
                    assertArrayEquals(NnTesting.sum(dwd.toArray(), dwd.toArray()), layer.depthwise().weight().grad().toArray());
                    assertArrayEquals(NnTesting.sum(dbd.toArray(), dbd.toArray()), layer.depthwise().bias().grad().toArray());
                }
                checked++;
            }
        }
        assertEquals(NnTesting.engines().size(), checked);
    }

    @Test
    void depthwiseHasNoBiasByDefault() {
        try (SeparableConv2d layer = SeparableConv2d.of(4, 8, 3)) {
            assertNull(layer.depthwise().bias());
            assertEquals(List.of("depthwise.weight", "pointwise.weight", "pointwise.bias"),
                    List.copyOf(layer.namedParameters().keySet()));
        }
    }
}
