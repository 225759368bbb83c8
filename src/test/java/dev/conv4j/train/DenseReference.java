package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conv4j.tensor.Tensor;

/** The oracle of a {@link Dense} forward: {@code y = x · Wᵀ + b} summed in double from the layer's own parameters. */
final class DenseReference {
    private DenseReference() {}

    /** Asserts every element of {@code y} (the layer's output for {@code x}, both {@code [N, F]}) within {@code tol} of the double sum. */
    static void assertForward(Dense dense, Tensor x, Tensor y, double tol) {
        int batch = x.shape().dim(0);
        int in = dense.inFeatures();
        int out = dense.outFeatures();
        float[] w = dense.weight().value().toArray();
        float[] b = dense.bias().value().toArray();
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < out; o++) {
                double sum = b[o];
                for (int k = 0; k < in; k++) {
                    sum += (double) x.get(n * in + k) * w[o * in + k];
                }
                assertEquals(sum, y.get(n * out + o), tol, "y[" + n + ", " + o + "]");
            }
        }
    }
}
