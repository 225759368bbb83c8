package dev.conv4j.nn;

import static dev.conv4j.nn.NnTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Parameter#zeroGrad()} clears lazily: the next backward overwrites the gradient (the
 * stale values left in its storage must not leak into it), a read in between sees zeros, and
 * backward calls after the first still add. Each parameter keeps its own state, so a weight
 * overwritten beside a bias that was read (and so accumulates) is right too.
 */
class GradientClearingTest {

    @ParameterizedTest
    @MethodSource("dev.conv4j.nn.NnTesting#engines")
    void zeroGrad_thenBackward_overwritesStaleValues_andLaterCallsAdd(Engine engine) {
        Random rng = new Random(3);
        try (Conv2d layer = Conv2d.builder(3, 4, 3).padding(1).engine(engine).seed(2).build()) {
            Shape in = Shape.of(2, 3, 5, 5);
            Tensor x = randn(in, rng);
            Tensor dy1 = randn(layer.outputShape(in), rng);
            Tensor dy2 = randn(layer.outputShape(in), rng);
            Tensor dw1 = Tensor.allocate(layer.weight().shape());
            Tensor dw2 = Tensor.allocate(layer.weight().shape());
            Tensor db1 = Tensor.allocate(layer.bias().shape());
            Tensor db2 = Tensor.allocate(layer.bias().shape());
            try (Plan plan = engine.prepare(layer.spec(), in)) {
                plan.backwardWeights(x, dy1, dw1, db1);
                plan.backwardWeights(x, dy2, dw2, db2);
            }

            layer.weight().grad().fill(7f);   // stale values a lazy clear leaves in storage
            layer.bias().grad().fill(7f);
            layer.zeroGrad();
            layer.forward(x);
            layer.backward(dy1, null);
            assertArrayEquals(dw1.toArray(), layer.weight().grad().toArray(), "weight grad after zeroGrad and one backward");
            assertArrayEquals(db1.toArray(), layer.bias().grad().toArray(), "bias grad after zeroGrad and one backward");
            layer.backward(dy2, null);
            assertArrayEquals(NnTesting.sum(dw1.toArray(), dw2.toArray()), layer.weight().grad().toArray(), "second backward adds");

            layer.zeroGrad();
            assertEquals(0, NnTesting.nonZero(layer.bias().grad()), "a read after zeroGrad sees zeros");
            layer.backward(dy2, null);   // weight overwritten, bias (cleared by the read) added to zeros
            assertArrayEquals(dw2.toArray(), layer.weight().grad().toArray(), "weight overwritten");
            assertArrayEquals(db2.toArray(), layer.bias().grad().toArray(), "bias added to the zeros it was read as");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.conv4j.nn.NnTesting#engines")
    void zeroGrad_versionMovesWhenTheGradientIsWritten(Engine engine) {
        try (Conv2d layer = Conv2d.builder(1, 1, 1).engine(engine).seed(2).build()) {
            Tensor x = Tensor.of(Shape.of(1, 1, 1, 1), 2f);
            layer.forward(x);
            long before = layer.weight().grad().version();
            layer.zeroGrad();
            layer.backward(Tensor.of(Shape.of(1, 1, 1, 1), 3f), null);
            Tensor g = layer.weight().grad();
            assertEquals(6f, g.get(0));
            assertEquals(true, g.version() > before, "version " + g.version() + " after " + before);
        }
    }
}
