package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;

/**
 * {@code y = max(x, 0)} element-wise; {@code dx = dy} where {@code x > 0}, else 0 (the
 * derivative at 0 is taken as 0, as in PyTorch). Any shape.
 */
public final class ReLU extends JavaLayer {
    private static final int GRAIN = 1 << 16;
    private final Scratch xs = new Scratch();
    private final Scratch ys = new Scratch();
    private final Scratch dys = new Scratch();
    private Tensor input;
    private float[] inputValues;   // the input as read by forward (its array or a copy in xs)

    @Override public Shape outputShape(Shape input) {
        return input;
    }

    @Override public void forward(Tensor x, Tensor y) {
        checkShape("input", x, x.shape());
        checkShape("output", y, x.shape());
        float[] in = read(x, xs);
        float[] out = target(y, ys);
        Parallel.forRange(x.size(), GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = Math.max(in[i], 0f);
            }
        });
        commit(y, out);
        input = isTraining() ? x : null;
        inputValues = isTraining() ? in : null;
    }

    @Override public void backward(Tensor dy, Tensor dx) {
        Check.state(input != null, "%s: backward needs a forward pass in training mode first", this);
        checkShape("diff_dst", dy, input.shape());
        if (dx == null) {
            return;
        }
        checkShape("diff_src", dx, input.shape());
        float[] in = inputValues;
        float[] g = read(dy, dys);
        float[] out = target(dx, ys);
        Parallel.forRange(dx.size(), GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = in[i] > 0f ? g[i] : 0f;
            }
        });
        commit(dx, out);
    }

    @Override protected Shape lastInputShape() {
        return input == null ? null : input.shape();
    }

    @Override public String toString() {
        return "ReLU()";
    }
}
