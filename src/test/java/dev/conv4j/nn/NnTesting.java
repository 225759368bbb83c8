package dev.conv4j.nn;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import java.util.Random;

/** Shared helpers of the nn tests. */
final class NnTesting {
    private NnTesting() {}

    /** The engines every layer test runs on. */
    static List<Engine> engines() {
        return List.of(Engines.reference(), Engines.onednn());
    }

    /** A tensor of N(0, 1) draws from {@code rng}. */
    static Tensor randn(Shape shape, Layout layout, Random rng) {
        Tensor t = Tensor.allocate(shape, layout);
        for (int i = 0; i < t.size(); i++) {
            t.buffer().put(i, (float) rng.nextGaussian());
        }
        t.markModified();
        return t;
    }

    static Tensor randn(Shape shape, Random rng) {
        return randn(shape, Layout.CHANNELS_FIRST, rng);
    }

    /** {@code a + b}, element by element, in float (as accumulation does). */
    static float[] sum(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    /** Number of elements that are not zero. */
    static int nonZero(Tensor t) {
        int n = 0;
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i) != 0f) {
                n++;
            }
        }
        return n;
    }
}
