package dev.conv4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conv4j.HeapAllocations;
import dev.conv4j.engine.Engines;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * On a shape it has seen, a layer's {@code forward(x, y)} and {@code backward(dy, dx)} allocate
 * nothing on the Java heap (the JVM's per-thread allocation counter stays below one byte per
 * call), on oneDNN, also when the weights change every step.
 */
class LayerNoAllocationTest {
    private static final int CALLS = 100;

    private static long measure(Runnable call) {
        return HeapAllocations.of(call, CALLS);
    }

    @Test
    void trainingStepAllocatesNothing() {
        assumeTrue(HeapAllocations.supported());
        Random rng = new Random(17);
        try (Conv2d layer = Conv2d.builder(4, 8, 3).padding(1).engine(Engines.onednn()).seed(17).build()) {
            Shape in = Shape.of(2, 4, 6, 6);
            Tensor x = NnTesting.randn(in, rng);
            Tensor y = Tensor.allocate(layer.outputShape(in));
            Tensor dx = Tensor.allocate(in);
            Parameter w = layer.weight();
            long fwd = measure(() -> layer.forward(x, y));
            long bwd = measure(() -> layer.backward(y, dx));
            long bwdWeightsOnly = measure(() -> layer.backward(y, null));
            long step = measure(() -> {
                layer.forward(x, y);
                layer.backward(y, dx);
                w.value().buffer().put(0, w.value().get(0) - 1e-3f * w.grad().get(0));
                w.markModified();   // the weights are reordered again on the next call
                layer.zeroGrad();
            });
            layer.eval();
            long inference = measure(() -> layer.forward(x, y));
            String report = String.format("per %d calls: fwd %d B, bwd %d B, bwd weights-only %d B, step %d B, inference %d B",
                    CALLS, fwd, bwd, bwdWeightsOnly, step, inference);
            assertTrue(fwd < CALLS && bwd < CALLS && bwdWeightsOnly < CALLS && step < CALLS && inference < CALLS, report);
        }
    }
}
