package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.engine.Engine;
import dev.conv4j.nn.Init;
import dev.conv4j.nn.Parameter;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A fully connected layer, PyTorch's {@code nn.Linear(in, out)}: {@code y = x · Wᵀ + b} on
 * {@code x [N, in]}, with weight {@code [out, in]} and bias {@code [out]} ({@link Parameter}s
 * named {@code weight} and {@code bias}, as in a {@code state_dict}). Initialised like
 * PyTorch: {@code U(−1/√in, 1/√in)} for both (kaiming-uniform with a = √5), from a seed.
 *
 * <p>Backward adds {@code dW = dyᵀ · x} and {@code db = Σ_n dy} into the gradients and
 * returns {@code dx = dy · W}. The three products run in {@link Gemm} on float arrays, each
 * with {@code W} in its own row-major layout: the forward computes {@code yᵀ = W · xᵀ} (x and
 * y are small to transpose; W, the large operand, never is). The layer keeps a copy of W as
 * an array, re-read from the parameter only when its {@link Tensor#version()} has changed
 * (after an optimizer step).
 *
 * <p>Given an engine, the layer runs the same products there instead, as a 1×1 convolution of
 * the batch seen as {@code [N, in, 1, 1]} images ({@link DenseOnEngine}): on oneDNN a matmul or
 * {@code sgemm}, several times faster than the Java GEMM on a large layer.
 */
public final class Dense extends JavaLayer {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;     // null without bias
    private final Map<String, Parameter> named;
    private final DenseOnEngine onEngine;   // null: the products run in Gemm
    private Tensor input;                   // the last training forward's, for backward
    // The Java GEMM's arrays (w and gradW are null on an engine):
    private final float[] w;                // [out, in], a copy of the weight
    private long weightVersion = Long.MIN_VALUE;   // the weight's version w was copied at
    private final float[] gradW;            // [out, in], this backward's weight gradient
    private float[] inputValues;            // the last training forward's x as an array
    private final Scratch xt = new Scratch();   // xᵀ [in, N]
    private final Scratch yt = new Scratch();   // yᵀ [out, N]
    private final Scratch xs = new Scratch();   // x, y, dy and dx as arrays, when their tensors are off-heap
    private final Scratch ys = new Scratch();
    private final Scratch dys = new Scratch();
    private final Scratch dxs = new Scratch();

    /** {@code nn.Linear(in, out)} with bias, initialised from {@code seed}. */
    public Dense(int in, int out, long seed) {
        this(in, out, true, seed);
    }

    /**
     * @param in   input features, &gt;= 1
     * @param out  output features, &gt;= 1
     * @param bias whether the layer adds a bias
     * @param seed seed of the initial weights
     */
    public Dense(int in, int out, boolean bias, long seed) {
        this(in, out, bias, seed, null);
    }

    /**
     * @param in     input features, &gt;= 1
     * @param out    output features, &gt;= 1
     * @param bias   whether the layer adds a bias
     * @param seed   seed of the initial weights
     * @param engine the engine that runs the products as a 1×1 convolution, or {@code null} for
     *               the Java GEMM; the layer then owns plans of it until {@link #close()}
     */
    public Dense(int in, int out, boolean bias, long seed, Engine engine) {
        Check.arg(in >= 1, "in_features: must be >= 1, got %d", in);
        Check.arg(out >= 1, "out_features: must be >= 1, got %d", out);
        Check.arg((long) in * out <= Integer.MAX_VALUE - 8, "in_features: %d x out_features %d is too large", in, out);
        this.in = in;
        this.out = out;
        this.weight = new Parameter("weight", Shape.of(out, in));
        this.bias = bias ? new Parameter("bias", Shape.of(out)) : null;
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("weight", weight);
        if (bias) {
            m.put("bias", this.bias);
        }
        this.named = Collections.unmodifiableMap(m);
        // The Java GEMM's copies of W and of its gradient; the engine reads the parameters in place.
        this.w = engine == null ? new float[in * out] : null;
        this.gradW = engine == null ? new float[in * out] : null;
        Init.initialize(Init.Scheme.PYTORCH_DEFAULT, weight.value(), bias ? this.bias.value() : null, new Random(seed));
        this.onEngine = engine == null ? null : new DenseOnEngine(engine, weight, this.bias);
    }

    public int inFeatures() { return in; }
    public int outFeatures() { return out; }
    /** {@code [out, in]}. */
    public Parameter weight() { return weight; }
    /** {@code [out]}, or {@code null} without bias. */
    public Parameter bias() { return bias; }

    @Override public Map<String, Parameter> namedParameters() {
        return named;
    }

    @Override public Shape outputShape(Shape x) {
        Check.arg(x.rank() == 2 && x.dim(1) == in, "input: expected [N, %d] for in_features=%d, got %s", in, in, x);
        return Shape.of(x.dim(0), out);
    }

    @Override protected void computeForward(Tensor x, Tensor y) {
        // The checks allocate nothing unless they fail: a training loop calls this every batch.
        if (x == null || x.shape().rank() != 2 || x.shape().dim(1) != in) {
            Check.arg(x != null, "input: expected a tensor, got null");
            outputShape(x.shape());   // throws, naming the shape
        }
        checkMatrix("output", y, x.shape().dim(0), out);
        if (onEngine != null) {
            onEngine.forward(x, y, isTraining());
            input = isTraining() ? x : null;
            return;
        }
        int n = x.shape().dim(0);
        refreshWeights();
        float[] xv = read(x, xs);
        float[] yv = target(y, ys);
        float[] xT = xt.get(n * in);
        float[] yT = yt.get(n * out);
        transpose(xv, n, in, xT);
        // yᵀ[o, :] = Σ_k W[o, k] · xᵀ[k, :]
        Gemm.multiply(out, n, in, w, 0, in, 1, xT, 0, n, yT, 0, n, false);
        transpose(yT, out, n, yv);
        if (bias != null) {
            FloatBufferRows.addRowVector(bias.value(), yv, n, out);
        }
        commit(y, yv);
        input = isTraining() ? x : null;
        inputValues = isTraining() ? xv : null;
    }

    @Override protected void computeBackward(Tensor dy, Tensor dx) {
        requireTrainingForward(input != null);
        int n = input.shape().dim(0);
        checkMatrix("diff_dst", dy, n, out);
        if (dx != null) {
            checkMatrix("diff_src", dx, n, in);
        }
        if (onEngine != null) {
            onEngine.backward(input, dy, dx);
            return;
        }
        float[] g = read(dy, dys);
        // dW[o, :] = Σ_n dy[n, o] · x[n, :]   (A = dyᵀ: row stride 1, column stride out)
        Gemm.multiply(out, in, n, g, 0, 1, out, inputValues, 0, in, gradW, 0, in, false);
        Tensor cleared = weight.clearedGrad();
        if (cleared != null) {
            cleared.buffer().put(0, gradW, 0, gradW.length);   // after zeroGrad: a copy, not an add to zeros
            weight.gradWritten();
        } else {
            FloatBufferRows.addInto(weight.grad(), gradW);
        }
        if (bias != null) {
            FloatBufferRows.addColumnSums(bias.grad(), g, n, out);
        }
        if (dx != null) {
            refreshWeights();
            float[] dxv = target(dx, dxs);
            // dx[n, :] = Σ_o dy[n, o] · W[o, :]
            Gemm.multiply(n, in, out, g, 0, out, 1, w, 0, in, dxv, 0, in, false);
            commit(dx, dxv);
        }
    }

    /** Checks that {@code t} is a channels-first {@code [rows, cols]} tensor, allocating nothing when it is. */
    private static void checkMatrix(String name, Tensor t, int rows, int cols) {
        if (t == null || t.shape().rank() != 2 || t.shape().dim(0) != rows || t.shape().dim(1) != cols) {
            checkShape(name, t, Shape.of(rows, cols), Layout.CHANNELS_FIRST);   // throws, naming what is wrong
        }
    }

    /** Re-reads W when the weight tensor has been written since the last read. */
    private void refreshWeights() {
        Tensor value = weight.value();
        if (value.version() != weightVersion) {
            value.buffer().get(0, w, 0, w.length);
            weightVersion = value.version();
        }
    }

    /** {@code dst[c, r] = src[r, c]} for {@code src [rows, cols]}, in cache-sized blocks. */
    private static void transpose(float[] src, int rows, int cols, float[] dst) {
        final int blk = 32;
        for (int r0 = 0; r0 < rows; r0 += blk) {
            int r1 = Math.min(rows, r0 + blk);
            for (int c0 = 0; c0 < cols; c0 += blk) {
                int c1 = Math.min(cols, c0 + blk);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        dst[c * rows + r] = src[r * cols + c];
                    }
                }
            }
        }
    }

    /**
     * Closes the engine's plans, if the layer runs on one; the parameters stay readable, and a
     * later forward or backward is an {@link IllegalStateException}. Idempotent; nothing to do
     * on the Java GEMM.
     */
    @Override public void close() {
        enter();
        try {
            if (onEngine != null) {
                onEngine.close();
            }
        } finally {
            exit();
        }
    }

    @Override protected Shape lastInputShape() {
        return input == null ? null : input.shape();
    }

    @Override protected Layout lastInputLayout() {
        return Layout.CHANNELS_FIRST;
    }

    @Override public String toString() {
        return "Dense(in_features=" + in + ", out_features=" + out + ", bias=" + (bias != null) + ")";
    }
}
