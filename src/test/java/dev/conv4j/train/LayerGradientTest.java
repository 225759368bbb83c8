package dev.conv4j.train;

import static dev.conv4j.train.GradCheck.dot;
import static dev.conv4j.train.GradCheck.heap;
import static dev.conv4j.train.GradCheck.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of the non-convolution layers and the loss. */
class LayerGradientTest {

    /** Input gradient of {@code layer} against finite differences of {@code Σ r·layer(x)}. */
    private static int checkInput(JavaLayer layer, Shape inShape, float[] x, long seed, double eps) {
        Tensor xt = heap(inShape, x);
        Shape outShape = layer.outputShape(inShape);
        float[] r = uniform((int) outShape.elementCount(), new SplittableRandom(seed), -1, 1);
        Tensor y = heap(outShape, new float[r.length]);
        layer.forward(xt, y);
        Tensor dx = heap(inShape, new float[x.length]);
        layer.backward(heap(outShape, r.clone()), dx);
        float[] analytic = dx.toArray();
        return GradCheck.check(layer.toString(), x, () -> {}, () -> {
            layer.forward(xt, y);
            return dot(r, y);
        }, analytic, eps, 1e-3, 1e-3);
    }

    @Test void reluAwayFromZero() {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < x.length; i++) {
            double mag = 0.1 + rnd.nextDouble();
            x[i] = (float) (rnd.nextBoolean() ? mag : -mag);
        }
        int n = checkInput(new ReLU(), Shape.of(2, 3, 4, 5), x, 2, 1e-2);
        assertEquals(120, n);
    }

    @Test void reluKnownValues() {
        ReLU relu = new ReLU();
        Tensor y = relu.forward(Tensor.wrap(new float[] {-2, 0, 3, -0.5f}, 4));
        assertEquals("[0.0, 0.0, 3.0, 0.0]", Arrays.toString(y.toArray()));
        Tensor dx = relu.backward(Tensor.wrap(new float[] {1, 1, 1, 1}, 4));
        assertEquals("[0.0, 0.0, 1.0, 0.0]", Arrays.toString(dx.toArray()));
    }

    /**
     * The backward's branch-free select passes {@code dy} exactly where {@code x > 0}: not at
     * either zero, a negative, NaN of either sign or -∞; at the least denormal, the greatest
     * finite float and +∞; and it passes non-finite gradients and signs unchanged.
     */
    @Test void reluBackward_passesTheGradientExactlyWhereTheInputIsPositive() {
        float[] x = {0f, -0f, -1e-45f, -3f, Float.NaN, Float.intBitsToFloat(0xFFC00000), Float.NEGATIVE_INFINITY,
                1e-45f, 2.5f, Float.MAX_VALUE, Float.POSITIVE_INFINITY, 7f, 7f, 7f};
        float[] dy = {5f, 5f, 5f, 5f, 5f, 5f, 5f, -1.5f, 2f, 3f, 4f, Float.NaN, Float.NEGATIVE_INFINITY, -0f};
        ReLU relu = new ReLU();
        relu.forward(Tensor.wrap(x.clone(), x.length));
        float[] dx = relu.backward(Tensor.wrap(dy.clone(), dy.length)).toArray();
        for (int i = 0; i < x.length; i++) {
            float expected = x[i] > 0f ? dy[i] : 0f;
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(dx[i]),
                    "x = " + x[i] + ", dy = " + dy[i] + ": got " + dx[i]);
        }
    }

    /**
     * Off-heap tensors (a convolution's output, the gradient a convolution reads) are read and
     * written chunk by chunk by the parallel loop: every chunk must land where it belongs.
     */
    @Test void relu_offHeapTensorsOfManyChunks() {
        int n = 300_001;   // several parallel chunks, the last one short
        float[] x = new float[n];
        float[] dy = new float[n];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
            dy[i] = (float) random.nextGaussian();
        }
        Tensor xOff = Tensor.allocate(Shape.of(n));
        Tensor yOff = Tensor.allocate(Shape.of(n));
        Tensor dyOff = Tensor.allocate(Shape.of(n));
        Tensor dxOff = Tensor.allocate(Shape.of(n));
        xOff.buffer().put(0, x);
        dyOff.buffer().put(0, dy);
        ReLU relu = new ReLU();
        relu.forward(xOff, yOff);
        relu.backward(dyOff, dxOff);
        for (int i = 0; i < n; i++) {
            assertEquals(Math.max(x[i], 0f), yOff.get(i), "y[" + i + "]");
            assertEquals(x[i] > 0f ? dy[i] : 0f, dxOff.get(i), "dx[" + i + "]");
        }
    }

    /**
     * Max-pooling's select, as PyTorch's: a NaN in a window wins (its value out, the gradient
     * to it, the first NaN if several); on a tie the first element in row-major order wins.
     */
    @Test void maxPool_nanWins_firstOfATieWins() {
        float nan = Float.NaN;
        // One 2x8 plane, four 2x2 windows: {1, nan | 3, 2}, {4, 4 | 4, 4}, {-1, -5 | nan, nan}, {0, 9 | 9, -2}.
        float[] x = {1, nan, 4, 4, -1, -5, 0, 9,
                     3, 2, 4, 4, nan, nan, 9, -2};
        MaxPool2d pool = new MaxPool2d(2);
        float[] y = pool.forward(Tensor.wrap(x, 1, 1, 2, 8)).toArray();
        assertEquals("[NaN, 4.0, NaN, 9.0]", Arrays.toString(y));
        float[] dx = pool.backward(Tensor.wrap(new float[] {1, 2, 3, 4}, 1, 1, 1, 4)).toArray();
        float[] expected = {0, 1, 2, 0, 0, 0, 0, 4,
                            0, 0, 0, 0, 3, 0, 0, 0};
        assertEquals(Arrays.toString(expected), Arrays.toString(dx));
    }

    /**
     * {@code MaxPool2d(2)} has a select of its own (no branches); it must give what the
     * definition gives, bit for bit, on windows full of ties, zeros of both signs, NaNs and
     * infinities, on odd sizes whose last row and column no window covers.
     */
    @Test void maxPool2x2_agreesWithTheDefinitionBitForBit() {
        float[] values = {0f, -0f, 1f, -1f, 2f, Float.NaN, Float.intBitsToFloat(0xFFC00001),
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        SplittableRandom random = new SplittableRandom(11);
        int n = 3, c = 2, h = 7, w = 9;
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) {
            // Mostly zeros and ones, as after a ReLU; now and then a special value.
            x[i] = random.nextInt(8) == 0 ? values[random.nextInt(values.length)] : values[random.nextInt(3)];
        }
        // The first window: two NaNs told apart by their bits; the second: -0 before +0.
        x[0] = Float.intBitsToFloat(0xFFC00001);
        x[1] = Float.NaN;
        x[2] = -0f;
        x[3] = 0f;
        x[w + 2] = 0f;
        x[w + 3] = -0f;
        MaxPool2d pool = new MaxPool2d(2);
        float[] y = pool.forward(Tensor.wrap(x, n, c, h, w)).toArray();
        float[] dy = new float[y.length];
        for (int i = 0; i < dy.length; i++) {
            dy[i] = i + 1;
        }
        float[] dx = pool.backward(Tensor.wrap(dy, n, c, h / 2, w / 2)).toArray();

        float[] expectedDx = new float[x.length];
        int o = 0;
        for (int plane = 0; plane < n * c; plane++) {
            for (int i = 0; i < h / 2; i++) {
                for (int j = 0; j < w / 2; j++, o++) {
                    int best = -1;
                    for (int u = 0; u < 2; u++) {
                        for (int v = 0; v < 2; v++) {
                            int at = plane * h * w + (2 * i + u) * w + 2 * j + v;
                            if (best < 0 || x[at] > x[best] || Float.isNaN(x[at]) && !Float.isNaN(x[best])) {
                                best = at;
                            }
                        }
                    }
                    assertEquals(Float.floatToRawIntBits(x[best]), Float.floatToRawIntBits(y[o]), "output " + o);
                    expectedDx[best] = dy[o];
                }
            }
        }
        assertEquals(Arrays.toString(expectedDx), Arrays.toString(dx));
    }

    /** Distinct values 0.05 apart, in random order: no window has a tie within ε. */
    private static float[] distinct(int n, long seed) {
        int[] p = Dataset.permutation(n, new SplittableRandom(seed));
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.05 * (p[i] - n / 2));
        }
        return x;
    }

    @Test void maxPoolKernel2Stride2() {
        Shape s = Shape.of(2, 3, 6, 4);
        int n = checkInput(new MaxPool2d(2), s, distinct(144, 3), 4, 1e-2);
        assertEquals(144, n);
    }

    @Test void maxPoolOverlappingWindowsAndOddSize() {
        // k=3, s=2 on 7x5: windows overlap, so backward must add; the last column is dropped (floor).
        Shape s = Shape.of(1, 2, 7, 5);
        MaxPool2d pool = new MaxPool2d(3, 2);
        assertEquals(Shape.of(1, 2, 3, 2), pool.outputShape(s));
        int n = checkInput(pool, s, distinct(70, 5), 6, 1e-2);
        assertEquals(70, n);
    }

    @Test void maxPoolKnownValuesAndTies() {
        MaxPool2d pool = new MaxPool2d(2);
        Tensor x = Tensor.wrap(new float[] {
            1, 5, 2, 2,
            3, 4, 2, 2,
            0, 0, 9, 8,
            0, 0, 7, 6}, 1, 1, 4, 4);
        Tensor y = pool.forward(x);
        assertEquals("[5.0, 2.0, 0.0, 9.0]", Arrays.toString(y.toArray()));
        Tensor dx = pool.backward(Tensor.wrap(new float[] {10, 20, 30, 40}, 1, 1, 2, 2));
        // A tie goes to the first element of the window in row-major order, as in PyTorch.
        assertEquals("[0.0, 10.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 30.0, 0.0, 40.0, 0.0, 0.0, 0.0, 0.0, 0.0]",
                Arrays.toString(dx.toArray()));
    }

    @Test void maxPoolRejectsSmallInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MaxPool2d(3).outputShape(Shape.of(1, 1, 2, 8)));
        assertEquals("input: [1, 1, 2, 8] is smaller than the pooling window 3", e.getMessage());
    }

    @Test void flattenRoundTrip() {
        Flatten f = new Flatten();
        int n = checkInput(f, Shape.of(3, 2, 2, 2), uniform(24, new SplittableRandom(7), -1, 1), 8, 1e-2);
        assertEquals(24, n);
        assertEquals(Shape.of(3, 8), f.outputShape(Shape.of(3, 2, 2, 2)));
    }

    @Test void denseInputWeightAndBiasGradients() {
        SplittableRandom rnd = new SplittableRandom(9);
        int batch = 5;
        int in = 13;   // not a multiple of the 4-wide unrolling
        int out = 7;
        Dense dense = new Dense(in, out, 11);
        Shape inShape = Shape.of(batch, in);
        float[] x = uniform(batch * in, rnd, -1, 1);
        Tensor xt = heap(inShape, x);
        float[] r = uniform(batch * out, rnd, -1, 1);
        Tensor y = heap(Shape.of(batch, out), new float[batch * out]);
        dense.forward(xt, y);

        // The forward itself against a direct double computation.
        DenseReference.assertForward(dense, xt, y, 1e-5);

        Tensor dx = heap(inShape, new float[x.length]);
        dense.backward(heap(Shape.of(batch, out), r.clone()), dx);
        float[] gx = dx.toArray();
        float[] gw = dense.weight().grad().toArray();
        float[] gb = dense.bias().grad().toArray();
        java.util.function.DoubleSupplier loss = () -> {
            dense.forward(xt, y);
            return dot(r, y);
        };
        int checked = GradCheck.check("x", x, () -> {}, loss, gx, 1e-2, 1e-3, 1e-3);
        float[] wv = dense.weight().value().toArray();
        checked += GradCheck.check("weight", wv, () -> {
            dense.weight().value().buffer().put(0, wv);
            dense.weight().markModified();
        }, loss, gw, 1e-2, 1e-3, 1e-3);
        float[] bv = dense.bias().value().toArray();
        checked += GradCheck.check("bias", bv, () -> {
            dense.bias().value().buffer().put(0, bv);
            dense.bias().markModified();
        }, loss, gb, 1e-2, 1e-3, 1e-3);
        assertEquals(batch * in + out * in + out, checked);
    }

    @Test void denseAccumulatesOverTwoBackwardCalls() {
        SplittableRandom rnd = new SplittableRandom(12);
        Dense dense = new Dense(6, 3, 13);
        Tensor x1 = Tensor.wrap(uniform(12, rnd, -1, 1), 2, 6);
        Tensor x2 = Tensor.wrap(uniform(12, rnd, -1, 1), 2, 6);
        Tensor dy1 = Tensor.wrap(uniform(6, rnd, -1, 1), 2, 3);
        Tensor dy2 = Tensor.wrap(uniform(6, rnd, -1, 1), 2, 3);
        dense.forward(x1);
        dense.backward(dy1);
        float[] g1 = dense.weight().grad().toArray();
        float[] b1 = dense.bias().grad().toArray();
        dense.zeroGrad();
        dense.forward(x2);
        dense.backward(dy2);
        float[] g2 = dense.weight().grad().toArray();
        float[] b2 = dense.bias().grad().toArray();
        // After zeroGrad the gradient is x2's alone, not added to what x1 left in storage.
        Dense fresh = new Dense(6, 3, 13);
        fresh.forward(x2);
        fresh.backward(dy2);
        assertArrayEquals(fresh.weight().grad().toArray(), g2, 1e-6f);
        assertArrayEquals(fresh.bias().grad().toArray(), b2, 1e-6f);
        dense.forward(x1);
        dense.backward(dy1);
        float[] sum = dense.weight().grad().toArray();
        float[] bsum = dense.bias().grad().toArray();
        for (int i = 0; i < sum.length; i++) {
            assertEquals(g1[i] + g2[i], sum[i], 1e-6);
        }
        for (int i = 0; i < bsum.length; i++) {
            assertEquals(b1[i] + b2[i], bsum[i], 1e-6);
        }
    }

    @Test void denseInitIsPyTorchsBound() {
        Dense dense = new Dense(100, 50, 1);
        float bound = (float) (1 / Math.sqrt(100));
        float max = 0;
        for (float v : dense.weight().value().toArray()) {
            max = Math.max(max, Math.abs(v));
        }
        for (float v : dense.bias().value().toArray()) {
            max = Math.max(max, Math.abs(v));
        }
        assertEquals(true, max <= bound && max > 0.9f * bound, "max |w| = " + max);
        assertEquals(dense.weight().value().toArray()[7], new Dense(100, 50, 1).weight().value().toArray()[7]);
    }

    @Test void denseRejectsWrongInput() {
        Dense dense = new Dense(4, 2, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dense.forward(Tensor.wrap(new float[10], 2, 5)));
        assertEquals("input: expected [N, 4] for in_features=4, got [2, 5]", e.getMessage());
    }

    @Test void crossEntropyGradientAndKnownValue() {
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        // Two equal logits: loss = log 2; the gradient is (0.5 - 1, 0.5) / N.
        Tensor z = Tensor.wrap(new float[] {1, 1}, 1, 2);
        Tensor g = Tensor.wrap(new float[2], 1, 2);
        assertEquals(Math.log(2), ce.compute(z, new int[] {0}, 0, g), 1e-7);
        assertEquals(-0.5f, g.get(0), 1e-7);
        assertEquals(0.5f, g.get(1), 1e-7);

        SplittableRandom rnd = new SplittableRandom(14);
        int n = 4;
        int k = 5;
        float[] logits = uniform(n * k, rnd, -3, 3);
        logits[3] = 40;    // large values stay finite: the maximum is subtracted first
        int[] labels = {3, 0, 4, 2};
        Tensor zt = Tensor.wrap(logits, n, k);
        Tensor grad = Tensor.wrap(new float[n * k], n, k);
        ce.compute(zt, labels, 0, grad);
        int checked = GradCheck.check("logits", logits, () -> {}, () -> ce.compute(zt, labels, 0, null),
                grad.toArray(), 1e-2, 1e-4, 1e-3);
        assertEquals(n * k, checked);
    }

    @Test void crossEntropyRejectsBadLabel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SoftmaxCrossEntropy().compute(Tensor.wrap(new float[4], 2, 2), new int[] {0, 2}, 0, null));
        assertEquals("labels: label 2 of row 1 is outside [0, 2)", e.getMessage());
    }

    @Test void offHeapTensorsGiveTheSameResults() {
        SplittableRandom rnd = new SplittableRandom(15);
        Shape s = Shape.of(2, 4, 6, 6);
        float[] x = uniform(288, rnd, -1, 1);
        float[] dy = uniform(72, rnd, -1, 1);
        for (JavaLayer layer : new JavaLayer[] {new MaxPool2d(2), new ReLU()}) {
            Shape o = layer.outputShape(s);
            float[] dyv = Arrays.copyOf(dy, (int) o.elementCount());
            Tensor yHeap = layer.forward(Tensor.wrap(x, s, dev.conv4j.tensor.Layout.CHANNELS_FIRST));
            float[] dxHeap = layer.backward(heap(o, dyv)).toArray();
            Tensor xOff = Tensor.of(s, x);
            Tensor yOff = Tensor.allocate(o);
            layer.forward(xOff, yOff);
            Tensor dxOff = Tensor.allocate(s);
            layer.backward(Tensor.of(o, dyv), dxOff);
            assertEquals(Arrays.toString(yHeap.toArray()), Arrays.toString(yOff.toArray()), layer.toString());
            assertEquals(Arrays.toString(dxHeap), Arrays.toString(dxOff.toArray()), layer.toString());
        }
    }

    /** A heap tensor with {@code t}'s storage and layout. */
    private static Tensor heapCopy(Tensor t) {
        return Tensor.wrap(t.toArray(), t.shape(), t.layout());
    }

    /** Bits of {@code t}'s values in channels-first order. */
    private static int[] channelsFirstBits(Tensor t) {
        Tensor cf = t.layout() == dev.conv4j.tensor.Layout.CHANNELS_FIRST ? t : t.toLayout(dev.conv4j.tensor.Layout.CHANNELS_FIRST);
        int[] bits = new int[cf.size()];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToRawIntBits(cf.get(i));
        }
        return bits;
    }

    /**
     * Channels-last tensors, on the heap and off it, give channels-first's results bit for bit,
     * both directions, for the 2×2 path and the generic one with overlapping windows (whose
     * gradients add up in the same order), on post-ReLU-like data with ties, -0 and NaNs.
     */
    @Test void maxPool_channelsLastGivesChannelsFirstsResultsBitForBit() {
        float[] values = {0f, -0f, 1f, -1f, 2f, Float.NaN, Float.intBitsToFloat(0xFFC00001),
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        SplittableRandom random = new SplittableRandom(12);
        Shape s = Shape.of(3, 5, 7, 9);
        float[] x = new float[(int) s.elementCount()];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextInt(8) == 0 ? values[random.nextInt(values.length)] : values[random.nextInt(3)];
        }
        int compared = 0;
        for (int[] ks : new int[][] {{2, 2}, {3, 2}, {3, 3}, {2, 1}}) {
            MaxPool2d first = new MaxPool2d(ks[0], ks[1]);
            Tensor xf = Tensor.wrap(x.clone(), s, dev.conv4j.tensor.Layout.CHANNELS_FIRST);
            Tensor yf = first.forward(xf);
            Tensor dyf = Tensor.wrap(uniform(yf.size(), new SplittableRandom(13), -1, 1), yf.shape(),
                    dev.conv4j.tensor.Layout.CHANNELS_FIRST);
            Tensor dxf = first.backward(dyf);
            for (boolean offHeap : new boolean[] {false, true}) {
                MaxPool2d last = new MaxPool2d(ks[0], ks[1]);
                Tensor xl = offHeap ? xf.toLayout(dev.conv4j.tensor.Layout.CHANNELS_LAST)
                        : heapCopy(xf.toLayout(dev.conv4j.tensor.Layout.CHANNELS_LAST));
                Tensor yl = last.forward(xl);
                assertEquals(dev.conv4j.tensor.Layout.CHANNELS_LAST, yl.layout());
                assertArrayEquals(channelsFirstBits(yf), channelsFirstBits(yl), "forward " + ks[0] + "/" + ks[1]);
                Tensor dyl = dyf.toLayout(dev.conv4j.tensor.Layout.CHANNELS_LAST);
                Tensor dxl = last.backward(offHeap ? dyl : heapCopy(dyl));
                assertEquals(dev.conv4j.tensor.Layout.CHANNELS_LAST, dxl.layout());
                assertArrayEquals(channelsFirstBits(dxf), channelsFirstBits(dxl), "backward " + ks[0] + "/" + ks[1]);
                compared++;
            }
        }
        assertEquals(8, compared);
    }

    /** A channels-last input is flattened in channels-first order, and its gradient goes back channels-last. */
    @Test void flatten_channelsLastInputInChannelsFirstOrder() {
        Shape s = Shape.of(2, 3, 4, 5);
        Tensor xf = Tensor.wrap(uniform(120, new SplittableRandom(14), -1, 1), s, dev.conv4j.tensor.Layout.CHANNELS_FIRST);
        Flatten f = new Flatten();
        Tensor yf = f.forward(xf);
        Flatten l = new Flatten();
        Tensor yl = l.forward(xf.toLayout(dev.conv4j.tensor.Layout.CHANNELS_LAST));
        assertArrayEquals(yf.toArray(), yl.toArray());
        Tensor dy = Tensor.wrap(uniform(120, new SplittableRandom(15), -1, 1), yf.shape(), dev.conv4j.tensor.Layout.CHANNELS_FIRST);
        Tensor dxl = l.backward(dy);
        assertEquals(dev.conv4j.tensor.Layout.CHANNELS_LAST, dxl.layout());
        assertArrayEquals(f.backward(dy).toArray(), dxl.toLayout(dev.conv4j.tensor.Layout.CHANNELS_FIRST).toArray());
    }
}
