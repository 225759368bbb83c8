package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conv4j.HeapAllocations;
import dev.conv4j.engine.Engines;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Dense} on oneDNN ({@link DenseOnEngine}) against the same layer on the Java GEMM, both
 * from one seed: the forward, the three gradients after {@code zeroGrad} (written in place)
 * and after a second backward (added in), the forward after the weights were written as an
 * optimizer writes them (the engine keeps a copy by version), a new batch size, inference
 * mode; off-heap and heap tensors; with and without bias.
 */
class DenseOnEngineTest {

    @Test void onOneDnn_matchesTheJavaGemm_stepByStep() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        int[][] shapes = {{13, 7, 5}, {64, 10, 1}, {300, 129, 17}, {1, 1, 3}};
        for (int[] s : shapes) {
            for (boolean bias : new boolean[] {true, false}) {
                for (boolean heap : new boolean[] {false, true}) {
                    compare(s[0], s[1], s[2], bias, heap, failures);
                    cases++;
                }
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(16, cases);
    }

    /** A training step on oneDNN, the weights written as an optimizer writes them, allocates nothing on the heap. */
    @Test void trainingStep_allocatesNothing() {
        assumeTrue(HeapAllocations.supported());
        int calls = 100;
        try (Dense dense = new Dense(24, 10, true, 1, Engines.onednn())) {
            SplittableRandom rnd = new SplittableRandom(2);
            Tensor x = filled(Shape.of(3, 24), rnd, false);
            Tensor y = Tensor.allocate(Shape.of(3, 10));
            Tensor dx = Tensor.allocate(Shape.of(3, 24));
            Tensor w = dense.weight().value();
            long step = HeapAllocations.of(() -> {
                dense.weight().zeroGrad();   // as an optimizer does, over its own list
                dense.bias().zeroGrad();
                dense.forward(x, y);
                dense.backward(y, dx);
                w.buffer().put(0, w.get(0) - 1e-3f);
                dense.weight().markModified();
            }, calls);
            assertTrue(step < calls, "bytes per " + calls + " steps: " + step);
        }
    }

    @Test void closed_refusesCalls_closingTwiceIsFine() {
        Dense dense = new Dense(4, 3, true, 1, Engines.onednn());
        Tensor x = Tensor.allocate(Shape.of(2, 4));
        Tensor y = Tensor.allocate(Shape.of(2, 3));
        dense.forward(x, y);
        dense.close();
        dense.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> dense.forward(x, y));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(3, dense.weight().value().shape().dim(0), "the parameters stay readable");
    }

    /** The forward on oneDNN against a double-precision sum, so that the Java GEMM is not the only oracle. */
    @Test void forwardOnOneDnn_matchesADirectSum() {
        int in = 37;
        int out = 11;
        int batch = 4;
        try (Dense dense = new Dense(in, out, true, 3, Engines.onednn())) {
            Tensor x = filled(Shape.of(batch, in), new SplittableRandom(5), false);
            Tensor y = Tensor.allocate(Shape.of(batch, out));
            dense.forward(x, y);
            DenseReference.assertForward(dense, x, y, 1e-5);
        }
    }

    private static void compare(int in, int out, int batch, boolean bias, boolean heap, List<String> failures) {
        String what = "Dense(" + in + " -> " + out + ", bias " + bias + ") batch " + batch + (heap ? " heap" : "");
        SplittableRandom rnd = new SplittableRandom(in * 31L + out);
        try (Dense java = new Dense(in, out, bias, 7);
             Dense dnn = new Dense(in, out, bias, 7, Engines.onednn())) {
            Tensor x = filled(Shape.of(batch, in), rnd, heap);
            Tensor dy = filled(Shape.of(batch, out), rnd, heap);
            Tensor[] y = {zeros(Shape.of(batch, out), heap), zeros(Shape.of(batch, out), heap)};
            Tensor[] dx = {zeros(Shape.of(batch, in), heap), zeros(Shape.of(batch, in), heap)};
            Dense[] layers = {java, dnn};

            for (int i = 0; i < 2; i++) {
                layers[i].zeroGrad();
                layers[i].forward(x, y[i]);
                layers[i].backward(dy, dx[i]);
            }
            check(what + " forward", y[0], y[1], in, failures);
            check(what + " dx", dx[0], dx[1], out, failures);
            checkGradients(what + " after zeroGrad", java, dnn, batch, failures);

            for (int i = 0; i < 2; i++) {   // no zeroGrad: added in
                layers[i].forward(x, y[i]);
                layers[i].backward(dy, null);
            }
            checkGradients(what + " added in", java, dnn, batch, failures);

            for (Dense d : layers) {   // as an optimizer step writes the weights
                Tensor w = d.weight().value();
                for (int j = 0; j < w.size(); j++) {
                    w.buffer().put(j, w.get(j) * -0.5f + 0.01f * j);
                }
                d.weight().markModified();
            }
            for (int i = 0; i < 2; i++) {
                layers[i].forward(x, y[i]);
            }
            check(what + " forward after a weight update", y[0], y[1], in, failures);

            Tensor x2 = filled(Shape.of(batch + 2, in), rnd, heap);
            Tensor[] y2 = {zeros(Shape.of(batch + 2, out), heap), zeros(Shape.of(batch + 2, out), heap)};
            for (int i = 0; i < 2; i++) {
                layers[i].eval();
                layers[i].forward(x2, y2[i]);
            }
            check(what + " inference at batch " + (batch + 2), y2[0], y2[1], in, failures);
        }
    }

    private static void checkGradients(String what, Dense java, Dense dnn, int batch, List<String> failures) {
        check(what + " dW", java.weight().grad(), dnn.weight().grad(), batch, failures);
        if (java.bias() != null) {
            check(what + " db", java.bias().grad(), dnn.bias().grad(), batch, failures);
        }
    }

    /** Sums of {@code terms} products of values in [-1, 1] in float, in another order: a few ulps of the sum. */
    private static void check(String what, Tensor expected, Tensor actual, int terms, List<String> failures) {
        double tol = 1e-6 * terms + 1e-6;
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.get(i);
            double a = actual.get(i);
            if (!(Math.abs(e - a) <= tol * Math.max(1, Math.abs(e)))) {
                failures.add(what + ": element " + i + " expected " + e + ", got " + a);
                return;
            }
        }
        assertTrue(expected.size() > 0);
    }

    private static Tensor zeros(Shape shape, boolean heap) {
        return heap ? Tensor.wrap(new float[(int) shape.elementCount()], shape, Layout.CHANNELS_FIRST) : Tensor.allocate(shape);
    }

    private static Tensor filled(Shape shape, SplittableRandom rnd, boolean heap) {
        Tensor t = zeros(shape, heap);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) (rnd.nextDouble() * 2 - 1));
        }
        return t;
    }
}
