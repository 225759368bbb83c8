package dev.conv4j.train;

import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;

/** Small loops between parameter tensors (off-heap) and float arrays. */
final class FloatBufferRows {
    private FloatBufferRows() {}

    /** {@code rows[r, :] += v} for each of {@code n} rows of width {@code width}. */
    static void addRowVector(Tensor v, float[] rows, int n, int width) {
        float[] b = new float[width];
        v.buffer().get(0, b, 0, width);
        for (int r = 0; r < n; r++) {
            int base = r * width;
            for (int j = 0; j < width; j++) {
                rows[base + j] += b[j];
            }
        }
    }

    /** {@code t += values}, element by element; records the write. */
    static void addInto(Tensor t, float[] values) {
        FloatBuffer b = t.buffer();
        int size = t.size();
        float[] own = t.array();
        if (own != null) {
            for (int i = 0; i < size; i++) {
                own[i] += values[i];
            }
        } else {
            Parallel.forRange(size, 1 << 16, (from, to) -> {
                for (int i = from; i < to; i++) {
                    b.put(i, b.get(i) + values[i]);
                }
            });
        }
        t.markModified();
    }

    /** {@code t[j] += Σ_r m[r, j]} over {@code n} rows of width {@code width}; records the write. */
    static void addColumnSums(Tensor t, float[] m, int n, int width) {
        double[] sums = new double[width];
        for (int r = 0; r < n; r++) {
            int base = r * width;
            for (int j = 0; j < width; j++) {
                sums[j] += m[base + j];
            }
        }
        FloatBuffer b = t.buffer();
        for (int j = 0; j < width; j++) {
            b.put(j, (float) (b.get(j) + sums[j]));
        }
        t.markModified();
    }
}
