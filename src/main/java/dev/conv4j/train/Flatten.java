package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;

/**
 * {@code [N, d1, d2, ...] -> [N, d1·d2·...]}, values in channels-first order (PyTorch's
 * {@code nn.Flatten()}); backward reshapes the gradient back.
 */
public final class Flatten extends JavaLayer {
    private final Scratch buf = new Scratch();
    private Shape input;

    @Override public Shape outputShape(Shape in) {
        Check.arg(in.rank() >= 2, "input: Flatten expects [N, ...], got %s", in);
        return Shape.of(in.dim(0), (int) (in.elementCount() / Math.max(1, in.dim(0))));
    }

    @Override public void forward(Tensor x, Tensor y) {
        checkShape("input", x, x.shape());
        checkShape("output", y, outputShape(x.shape()));
        copy(x, y);
        input = isTraining() ? x.shape() : null;
    }

    @Override public void backward(Tensor dy, Tensor dx) {
        Check.state(input != null, "%s: backward needs a forward pass in training mode first", this);
        checkShape("diff_dst", dy, outputShape(input));
        if (dx != null) {
            checkShape("diff_src", dx, input);
            copy(dy, dx);
        }
    }

    private void copy(Tensor from, Tensor to) {
        if (from.array() == null && to.array() == null) {
            to.buffer().put(0, from.buffer(), 0, to.size());
            to.markModified();
            return;
        }
        float[] values = read(from, buf);
        if (to.array() != null) {
            System.arraycopy(values, 0, to.array(), 0, to.size());
        } else {
            to.buffer().put(0, values, 0, to.size());
        }
        to.markModified();
    }

    @Override protected Shape lastInputShape() {
        return input;
    }

    @Override public String toString() {
        return "Flatten()";
    }
}
