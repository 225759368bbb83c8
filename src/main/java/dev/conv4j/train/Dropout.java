package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Inverted dropout, PyTorch's {@code nn.Dropout(p)}: in training mode each element is zeroed
 * with probability {@code p} and the others are scaled by {@code 1/(1 − p)}, so the expected
 * output equals the input; backward applies the same mask to {@code dy}. In inference mode
 * ({@link #eval()}) it is the identity. The masks come from one random stream seeded at
 * construction: the same seed and the same calls give the same masks.
 */
public final class Dropout extends JavaLayer {
    private final double p;
    private final float scale;
    private final SplittableRandom random;
    // The arrays an off-heap x, y or dy is handled in; dx reuses y's, which is stored by then.
    private final Scratch xs = new Scratch();
    private final Scratch ys = new Scratch();
    private final Scratch dys = new Scratch();
    private boolean[] keep = new boolean[0];
    private Shape input;
    private Layout inputLayout = Layout.CHANNELS_FIRST;

    /**
     * @param p    probability of zeroing an element, in {@code [0, 1)}
     * @param seed seed of the mask stream
     */
    public Dropout(double p, long seed) {
        Check.arg(p >= 0 && p < 1, "p: dropout probability must be in [0, 1), got %s", p);
        this.p = p;
        this.scale = (float) (1.0 / (1.0 - p));
        this.random = new SplittableRandom(seed);
    }

    public double probability() {
        return p;
    }

    @Override public Shape outputShape(Shape in) {
        return in;
    }

    @Override protected void computeForward(Tensor x, Tensor y) {
        Check.arg(x != null, "input: expected a tensor, got null");
        checkShape("output", y, x.shape(), x.layout());
        inputLayout = x.layout();
        float[] in = read(x, xs);
        float[] out = target(y, ys);
        int n = x.size();
        if (!isTraining() || p == 0) {
            if (in != out) {
                System.arraycopy(in, 0, out, 0, n);
            }
            commit(y, out);
            input = isTraining() ? x.shape() : null;
            if (isTraining()) {
                keepAll(n);   // backward then passes dy through unchanged
            }
            return;
        }
        if (keep.length < n) {
            keep = new boolean[n];
        }
        boolean[] mask = keep;
        for (int i = 0; i < n; i++) {
            mask[i] = random.nextDouble() >= p;
        }
        float s = scale;
        for (int i = 0; i < n; i++) {
            out[i] = mask[i] ? in[i] * s : 0f;
        }
        commit(y, out);
        input = x.shape();
    }

    private void keepAll(int n) {
        if (keep.length < n) {
            keep = new boolean[n];
        }
        Arrays.fill(keep, 0, n, true);
    }

    @Override protected void computeBackward(Tensor dy, Tensor dx) {
        requireTrainingForward(input != null);
        checkShape("diff_dst", dy, input, inputLayout);
        if (dx == null) {
            return;
        }
        checkShape("diff_src", dx, input, inputLayout);
        float[] g = read(dy, dys);
        float[] out = target(dx, ys);
        boolean[] mask = keep;
        float s = p == 0 ? 1f : scale;
        for (int i = 0; i < dx.size(); i++) {
            out[i] = mask[i] ? g[i] * s : 0f;
        }
        commit(dx, out);
    }

    /** Whether element {@code i} was kept by the last training forward (for tests). */
    boolean kept(int i) {
        return keep[i];
    }

    @Override protected Shape lastInputShape() {
        return input;
    }

    @Override protected Layout lastInputLayout() {
        return inputLayout;
    }

    @Override public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
