package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;

/**
 * 2-D max pooling without padding, PyTorch's {@code nn.MaxPool2d(kernel, stride)}:
 * {@code y[n,c,i,j] = max_{u,v < k} x[n, c, i·s + u, j·s + v]} on {@code [N, C, H, W]}, output
 * {@code [N, C, floor((H − k)/s) + 1, floor((W − k)/s) + 1]}. Backward routes each
 * {@code dy} to the input element that was the maximum (the first one in row-major order on
 * a tie, as PyTorch does) and adds where windows overlap. Channels-first or channels-last
 * tensors: the same result in either layout.
 */
public final class MaxPool2d extends JavaLayer {
    /** Input elements per parallel chunk: below this a fork costs more than it saves. */
    private static final int GRAIN = 1 << 15;
    private final int kernel;
    private final int stride;
    private final Scratch xs = new Scratch();
    private final Scratch ys = new Scratch();
    private final Scratch dys = new Scratch();
    private final Scratch dxs = new Scratch();
    // Per output element: where its maximum is, within its input plane (channels-first) or
    // within its input image's storage (channels-last).
    private int[] argmax = new int[0];
    private Shape input;
    private Layout inputLayout = Layout.CHANNELS_FIRST;

    /** {@code nn.MaxPool2d(kernel)}: stride = kernel. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel);
    }

    /**
     * @param kernel window size, &gt;= 1
     * @param stride step, &gt;= 1
     */
    public MaxPool2d(int kernel, int stride) {
        Check.arg(kernel >= 1, "kernel_size: must be >= 1, got %d", kernel);
        Check.arg(stride >= 1, "stride: must be >= 1, got %d", stride);
        this.kernel = kernel;
        this.stride = stride;
    }

    @Override public Shape outputShape(Shape in) {
        Check.arg(in.rank() == 4, "input: MaxPool2d expects [N, C, H, W], got %s", in);
        Check.arg(in.dim(2) >= kernel && in.dim(3) >= kernel,
                "input: %s is smaller than the pooling window %d", in, kernel);
        return Shape.of(in.dim(0), in.dim(1), (in.dim(2) - kernel) / stride + 1, (in.dim(3) - kernel) / stride + 1);
    }

    @Override protected void computeForward(Tensor x, Tensor y) {
        Check.arg(x != null, "input: expected a tensor, got null");
        Shape outShape = outputShape(x.shape());
        checkShape("output", y, outShape, x.layout());
        int planes = outShape.dim(0) * outShape.dim(1);
        int c = x.shape().dim(1);
        int h = x.shape().dim(2);
        int w = x.shape().dim(3);
        if (argmax.length < y.size()) {
            argmax = new int[y.size()];
        }
        int[] arg = argmax;
        float[] in = read(x, xs);
        float[] out = target(y, ys);
        int k = kernel;
        int s = stride;
        if (x.layout() == Layout.CHANNELS_LAST) {
            // Chunks of whole images: their windows, and so backward's writes, never overlap.
            Parallel.forRange(outShape.dim(0), Math.max(1, GRAIN / (c * h * w)), k == 2 && s == 2
                    ? (from, to) -> pool2x2ChannelsLast(in, out, arg, from, to, c, h, w)
                    : (from, to) -> poolChannelsLast(in, out, arg, from, to, c, h, w, k, s));
        } else {
            Parallel.forRange(planes, Math.max(1, GRAIN / (h * w)), k == 2 && s == 2
                    ? (from, to) -> pool2x2(in, out, arg, from, to, h, w)
                    : (from, to) -> pool(in, out, arg, from, to, h, w, k, s));
        }
        commit(y, out);
        input = isTraining() ? x.shape() : null;
        inputLayout = x.layout();
    }

    /** The forward on channels-last images {@code [from, to)}, any kernel and stride: {@link #pool}'s order and ties. */
    private static void poolChannelsLast(float[] in, float[] out, int[] arg, int from, int to, int c, int h, int w,
                                         int k, int s) {
        int oh = (h - k) / s + 1;
        int ow = (w - k) / s + 1;
        for (int n = from; n < to; n++) {
            int inBase = n * h * w * c;
            int outBase = n * oh * ow * c;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int o = outBase + (i * ow + j) * c;
                    for (int ch = 0; ch < c; ch++) {
                        int best = ((i * s) * w + j * s) * c + ch;
                        float max = in[inBase + best];
                        for (int u = 0; u < k; u++) {
                            for (int v = 0; v < k; v++) {
                                int at = ((i * s + u) * w + j * s + v) * c + ch;
                                float val = in[inBase + at];
                                // '>' keeps the first maximum; NaN wins, as in PyTorch.
                                if (val > max || Float.isNaN(val) && !Float.isNaN(max)) {
                                    max = val;
                                    best = at;
                                }
                            }
                        }
                        out[o + ch] = max;
                        arg[o + ch] = best;
                    }
                }
            }
        }
    }

    /** {@link #pool2x2}'s select on channels-last images {@code [from, to)}: the channels of a window side by side. */
    private static void pool2x2ChannelsLast(float[] in, float[] out, int[] arg, int from, int to, int c, int h, int w) {
        int oh = (h - 2) / 2 + 1;
        int ow = (w - 2) / 2 + 1;
        int right = c;          // storage distance to the window's right column
        int down = w * c;       // ... and to its lower row
        for (int n = from; n < to; n++) {
            int inBase = n * h * w * c;
            int outBase = n * oh * ow * c;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int corner = (2 * i * w + 2 * j) * c;
                    int o = outBase + (i * ow + j) * c;
                    for (int ch = 0; ch < c; ch++) {
                        int at = corner + ch;
                        float a = in[inBase + at];
                        float b = in[inBase + at + right];
                        float cc = in[inBase + at + down];
                        float d = in[inBase + at + down + right];
                        float upper = Math.max(a, b);
                        float lower = Math.max(cc, d);
                        int upperAt = b > a ? at + right : at;
                        int lowerAt = d > cc ? at + down + right : at + down;
                        int best = lower > upper ? lowerAt : upperAt;
                        if (Float.isNaN(Math.max(upper, lower))) {
                            best = a != a ? at : b != b ? at + right : cc != cc ? at + down : at + down + right;
                        }
                        out[o + ch] = in[inBase + best];
                        arg[o + ch] = best;
                    }
                }
            }
        }
    }

    /** The forward on planes {@code [from, to)}, any kernel and stride. */
    private static void pool(float[] in, float[] out, int[] arg, int from, int to, int h, int w, int k, int s) {
        int oh = (h - k) / s + 1;
        int ow = (w - k) / s + 1;
        for (int p = from; p < to; p++) {
            int inBase = p * h * w;
            int outBase = p * oh * ow;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int best = (i * s) * w + j * s;
                    float max = in[inBase + best];
                    for (int u = 0; u < k; u++) {
                        int row = (i * s + u) * w + j * s;
                        for (int v = 0; v < k; v++) {
                            float val = in[inBase + row + v];
                            // '>' keeps the first maximum; NaN wins, as in PyTorch.
                            if (val > max || Float.isNaN(val) && !Float.isNaN(max)) {
                                max = val;
                                best = row + v;
                            }
                        }
                    }
                    out[outBase + i * ow + j] = max;
                    arg[outBase + i * ow + j] = best;
                }
            }
        }
    }

    /**
     * The forward of {@code MaxPool2d(2)} on planes {@code [from, to)}, the common case, with the
     * generic loop's result. Its select has no data-dependent branch: post-ReLU windows are
     * half zeros in no order, and there the generic loop's branch mispredicted so often that
     * 2.5M inputs took 9.6 ms on two threads, against 4.3-5.3 ms on one thread for this. Each
     * pair's first maximum, then the first of the two (ties keep the left one, '>' as in
     * PyTorch); the value is read back at the winner, so a -0 that comes first stays -0. A NaN
     * makes the window's maximum NaN, and such a rare window takes its first NaN.
     */
    private static void pool2x2(float[] in, float[] out, int[] arg, int from, int to, int h, int w) {
        int oh = (h - 2) / 2 + 1;
        int ow = (w - 2) / 2 + 1;
        for (int p = from; p < to; p++) {
            int inBase = p * h * w;
            int outBase = p * oh * ow;
            for (int i = 0; i < oh; i++) {
                int top = 2 * i * w;   // the window row's offset in the plane
                int o = outBase + i * ow;
                for (int j = 0; j < ow; j++) {
                    int at = top + 2 * j;
                    float a = in[inBase + at];
                    float b = in[inBase + at + 1];
                    float c = in[inBase + at + w];
                    float d = in[inBase + at + w + 1];
                    float upper = Math.max(a, b);
                    float lower = Math.max(c, d);
                    int upperAt = b > a ? at + 1 : at;
                    int lowerAt = d > c ? at + w + 1 : at + w;
                    int best = lower > upper ? lowerAt : upperAt;
                    if (Float.isNaN(Math.max(upper, lower))) {
                        best = a != a ? at : b != b ? at + 1 : c != c ? at + w : at + w + 1;
                    }
                    out[o + j] = in[inBase + best];
                    arg[o + j] = best;
                }
            }
        }
    }

    @Override protected void computeBackward(Tensor dy, Tensor dx) {
        requireTrainingForward(input != null);
        Shape outShape = outputShape(input);
        checkShape("diff_dst", dy, outShape, inputLayout);
        if (dx == null) {
            return;
        }
        checkShape("diff_src", dx, input, inputLayout);
        boolean channelsLast = inputLayout == Layout.CHANNELS_LAST;
        // Channels-first: a plane per channel and image; channels-last: an image (argmax's units).
        int planes = channelsLast ? outShape.dim(0) : outShape.dim(0) * outShape.dim(1);
        int planeIn = channelsLast ? input.dim(1) * input.dim(2) * input.dim(3) : input.dim(2) * input.dim(3);
        int planeOut = channelsLast ? outShape.dim(1) * outShape.dim(2) * outShape.dim(3) : outShape.dim(2) * outShape.dim(3);
        int[] arg = argmax;
        float[] g = read(dy, dys);
        float[] out = target(dx, dxs);
        Parallel.forRange(planes, Math.max(1, GRAIN / planeIn), (from, to) -> {
            Arrays.fill(out, from * planeIn, to * planeIn, 0f);
            for (int p = from; p < to; p++) {
                int inBase = p * planeIn;
                int outBase = p * planeOut;
                for (int o = 0; o < planeOut; o++) {
                    out[inBase + arg[outBase + o]] += g[outBase + o];
                }
            }
        });
        commit(dx, out);
    }

    @Override protected Shape lastInputShape() {
        return input;
    }

    @Override protected Layout lastInputLayout() {
        return inputLayout;
    }

    public int kernel() { return kernel; }
    public int stride() { return stride; }

    @Override public String toString() {
        return "MaxPool2d(kernel_size=" + kernel + ", stride=" + stride + ")";
    }
}
