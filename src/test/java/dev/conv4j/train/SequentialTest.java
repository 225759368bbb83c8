package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.nn.Conv2d;
import dev.conv4j.nn.Parameter;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A whole network, convolutions included, against finite differences of its loss. */
class SequentialTest {

    private static Sequential tiny(Engine engine) {
        return tiny(engine, dev.conv4j.tensor.Layout.CHANNELS_FIRST);
    }

    private static Sequential tiny(Engine engine, dev.conv4j.tensor.Layout layout) {
        return new Sequential(
                Conv2d.builder(2, 3, 3).padding("same").engine(engine).layout(layout).seed(1).build(), new ReLU(), new MaxPool2d(2),
                Conv2d.builder(3, 4, 3).padding(1).engine(engine).layout(layout).seed(2).build(), new ReLU(),
                new Flatten(), new Dense(4 * 3 * 3, 5, 3));
    }

    /**
     * Channels-last convolutions keep the activations channels-last through the Java layers
     * (the channels-first batch converted once): on the reference engine, which computes either
     * layout in the same order, the same logits and gradients to the bit; on oneDNN, close.
     */
    @Test void channelsLastModel_sameResultsAsChannelsFirst() {
        SplittableRandom rnd = new SplittableRandom(7);
        Tensor x = Tensor.of(Shape.of(3, 2, 6, 6), GradCheck.uniform(216, rnd, -1, 1));
        Tensor dy = Tensor.wrap(GradCheck.uniform(15, rnd, -1, 1), 3, 5);
        int compared = 0;
        for (Engine engine : new Engine[] {Engines.reference(), Engines.onednn()}) {
            double tol = engine == Engines.reference() ? 0 : 1e-4;
            try (Sequential first = tiny(engine); Sequential last = tiny(engine, dev.conv4j.tensor.Layout.CHANNELS_LAST)) {
                compared += assertSameResults(first, last, x, dy, tol, engine.toString());
            }
        }
        assertEquals(2 * 6, compared);
    }

    /**
     * d loss / d parameter for every element of every parameter, on the reference engine in
     * float. ε is small (3e-4) because a step of the first layer's weights moves many
     * activations, and larger steps cross ReLU and max-pool kinks (1e-2 does, here).
     */
    @Test void parameterGradientsMatchFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(4);
        int n = 2;
        Tensor x = Tensor.of(Shape.of(n, 2, 6, 6), GradCheck.uniform(n * 72, rnd, -1, 1));
        int[] labels = {1, 4};
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        int checked = 0;
        try (Sequential model = tiny(Engines.reference())) {
            Tensor logits = model.forward(x);
            assertEquals(Shape.of(n, 5), logits.shape());
            Tensor grad = Tensor.wrap(new float[n * 5], n, 5);
            ce.compute(logits, labels, 0, grad);
            model.backward(grad);
            for (Parameter p : model.parameters()) {
                float[] values = p.value().toArray();
                checked += GradCheck.check(p.name(), values, () -> {
                    p.value().buffer().put(0, values);
                    p.markModified();
                }, () -> ce.compute(model.forward(x), labels, 0, null), p.grad().toArray(), 3e-4, 1e-3, 1e-2);
            }
        }
        int expected = (3 * 2 * 9 + 3) + (4 * 3 * 9 + 4) + (5 * 36 + 5);
        assertEquals(expected, checked);
    }

    @Test void onednnAndReferenceAgree() {
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor x = Tensor.of(Shape.of(3, 2, 6, 6), GradCheck.uniform(216, rnd, -1, 1));
        Tensor dy = Tensor.wrap(GradCheck.uniform(15, rnd, -1, 1), 3, 5);
        try (Sequential a = tiny(Engines.reference()); Sequential b = tiny(Engines.onednn())) {
            assertEquals(6, assertSameResults(a, b, x, dy, 1e-4, "onednn"));
        }
    }

    /**
     * Runs both models forward on {@code x} and backward from {@code dy}, and checks that their
     * outputs agree within {@code tol} and their parameter gradients within {@code tol} relative
     * to 1 + |gradient|; returns how many parameters were compared.
     */
    private static int assertSameResults(Sequential a, Sequential b, Tensor x, Tensor dy, double tol, String what) {
        float[] ya = a.forward(x).toArray();
        float[] yb = b.forward(x).toArray();
        for (int i = 0; i < ya.length; i++) {
            assertEquals(ya[i], yb[i], tol, what + " logit " + i);
        }
        a.backward(dy);
        b.backward(dy);
        int compared = 0;
        for (int p = 0; p < a.parameters().size(); p++) {
            float[] ga = a.parameters().get(p).grad().toArray();
            float[] gb = b.parameters().get(p).grad().toArray();
            for (int i = 0; i < ga.length; i++) {
                assertEquals(ga[i], gb[i], tol * (1 + Math.abs(ga[i])), what + " " + a.parameters().get(p).name() + "[" + i + "]");
            }
            compared++;
        }
        return compared;
    }

    @Test void evalModeTurnsDropoutOffAndForbidsBackward() {
        Tensor x = Tensor.of(Shape.of(2, 8), GradCheck.uniform(16, new SplittableRandom(6), 0.5, 1));
        try (Sequential model = new Sequential(new Dropout(0.5, 7), new Dense(8, 3, 8))) {
            model.eval();
            float[] first = model.forward(x).toArray();
            assertArrayEquals(first, model.forward(x).toArray());
            assertThrows(IllegalStateException.class, () -> model.backward(Tensor.wrap(new float[6], 2, 3)));
            model.train();
            float[] a = model.forward(x).toArray();
            float[] b = model.forward(x).toArray();
            assertEquals(false, Arrays.equals(a, b), "training mode draws new masks");
        }
    }

    /** The time of every layer that runs convolutions, a separable one included, counts as conv, the rest as other. */
    @Test void convolutionTimeCountsEveryConvolutionLayer() {
        Tensor x = Tensor.of(Shape.of(2, 2, 6, 6), GradCheck.uniform(144, new SplittableRandom(8), 0.5, 1));
        try (Sequential model = new Sequential(
                dev.conv4j.nn.SeparableConv2d.builder(2, 3, 3).padding("same").engine(Engines.reference()).build(),
                new ReLU(), new Flatten(), new Dense(3 * 6 * 6, 4, 9))) {
            Tensor y = model.forward(x);
            model.backward(Tensor.of(y.shape(), GradCheck.uniform(y.size(), new SplittableRandom(9), 0.5, 1)));
            long[] layers = model.layerNanos();
            assertEquals(layers[0], model.convNanos());
            assertEquals(layers[1] + layers[2] + layers[3], model.otherNanos());
        }
    }
}
