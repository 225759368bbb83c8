package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;

/**
 * {@code [N, d1, d2, ...] -> [N, d1·d2·...]}, values in channels-first order (PyTorch's
 * {@code nn.Flatten()}) whatever the input's layout: a channels-last input is transposed into
 * that order, so that the layer after it sees the same features either way. Backward reshapes
 * (and transposes back) the gradient.
 */
public final class Flatten extends JavaLayer {
    private final Scratch in = new Scratch();
    private final Scratch out = new Scratch();
    private Shape input;
    private Layout inputLayout = Layout.CHANNELS_FIRST;

    @Override public Shape outputShape(Shape in) {
        Check.arg(in.rank() >= 2, "input: Flatten expects [N, ...], got %s", in);
        return Shape.of(in.dim(0), (int) (in.elementCount() / Math.max(1, in.dim(0))));
    }

    /** A matrix: channels-first, whatever the input's layout. */
    @Override public Layout outputLayout(Layout input) {
        return Layout.CHANNELS_FIRST;
    }

    @Override protected void computeForward(Tensor x, Tensor y) {
        Check.arg(x != null, "input: expected a tensor, got null");
        checkShape("output", y, outputShape(x.shape()), Layout.CHANNELS_FIRST);
        boolean transpose = x.layout() == Layout.CHANNELS_LAST && x.shape().rank() >= 3;
        copy(x, y, transpose, x.shape(), true);
        input = isTraining() ? x.shape() : null;
        inputLayout = x.layout();
    }

    @Override protected void computeBackward(Tensor dy, Tensor dx) {
        requireTrainingForward(input != null);
        checkShape("diff_dst", dy, outputShape(input), Layout.CHANNELS_FIRST);
        if (dx != null) {
            checkShape("diff_src", dx, input, inputLayout);
            boolean transpose = inputLayout == Layout.CHANNELS_LAST && input.rank() >= 3;
            copy(dy, dx, transpose, input, false);
        }
    }

    /**
     * Copies {@code from} into {@code to}; with {@code transpose}, between the channels-last
     * storage of {@code activation} and channels-first order ({@code toChannelsFirst}: from the
     * former to the latter).
     */
    private void copy(Tensor from, Tensor to, boolean transpose, Shape activation, boolean toChannelsFirst) {
        if (!transpose && from.array() == null && to.array() == null) {
            to.buffer().put(0, from.buffer(), 0, to.size());
            to.markModified();
            return;
        }
        float[] values = read(from, in);
        if (!transpose) {
            if (to.array() != null) {
                System.arraycopy(values, 0, to.array(), 0, to.size());
            } else {
                to.buffer().put(0, values, 0, to.size());
            }
            to.markModified();
            return;
        }
        float[] result = target(to, out);
        int n = activation.dim(0);
        int c = activation.dim(1);
        int plane = (int) (activation.elementCount() / ((long) n * c));
        Parallel.forRange(n, 1, (first, last) -> {
            for (int b = first; b < last; b++) {
                int base = b * c * plane;
                for (int s = 0; s < plane; s++) {
                    for (int ch = 0; ch < c; ch++) {
                        int cl = base + s * c + ch;
                        int cf = base + ch * plane + s;
                        if (toChannelsFirst) {
                            result[cf] = values[cl];
                        } else {
                            result[cl] = values[cf];
                        }
                    }
                }
            }
        });
        commit(to, result);
    }

    @Override protected Shape lastInputShape() {
        return input;
    }

    @Override protected Layout lastInputLayout() {
        return inputLayout;
    }

    @Override public String toString() {
        return "Flatten()";
    }
}
