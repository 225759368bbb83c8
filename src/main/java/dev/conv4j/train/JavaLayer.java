package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.nn.Layer;
import dev.conv4j.nn.Parameter;
import dev.conv4j.nn.UseGuard;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Map;

/**
 * A {@link Layer} computed in plain Java on float tensors, that can also write
 * into tensors its caller provides ({@link #forward(Tensor, Tensor)},
 * {@link #backward(Tensor, Tensor)}), so a training loop allocates nothing per batch.
 *
 * <p>Tensors may be on the heap ({@link Tensor#wrap}) or off-heap ({@link Tensor#allocate});
 * heap tensors are read and written in place, off-heap ones through a reused scratch array
 * (one bulk copy). Like every {@link Layer}, a layer keeps what backward needs from the last
 * training forward and is confined to one thread at a time (an overlapping call from a second
 * thread throws {@link IllegalStateException}: {@code forward} and {@code backward} run a
 * subclass's {@code computeForward} and {@code computeBackward} inside {@link #enter()} and
 * {@link #exit()}); its loops run in parallel on the
 * common fork-join pool where the work pays for it.
 *
 * <p>Activations may be channels-first or channels-last (as the convolutions around the layer
 * keep them: a layout change between a convolution and a Java layer would cost a copy per
 * call); an output keeps its input's layout ({@link #outputLayout}), and gradients are in the
 * layout of the activations they belong to.
 */
public abstract class JavaLayer implements Layer {
    private final UseGuard guard = new UseGuard();
    private boolean training = true;

    /** The output shape for an input of shape {@code input}. */
    public abstract Shape outputShape(Shape input);

    /**
     * The layout of the output for an input in layout {@code input}: the same (a layer whose
     * output has no spatial dimensions says channels-first, the only layout of a matrix).
     */
    public Layout outputLayout(Layout input) {
        return input;
    }

    /**
     * Computes the output into {@code y}.
     *
     * @param x input; read (in training mode kept for backward: do not modify it before then)
     * @param y output of shape {@link #outputShape} in layout {@link #outputLayout}; overwritten
     * @throws IllegalArgumentException if a shape does not fit
     * @throws IllegalStateException if another thread is inside a call on this layer
     */
    public final void forward(Tensor x, Tensor y) {
        enter();
        try {
            computeForward(x, y);
        } finally {
            exit();
        }
    }

    /** {@link #forward(Tensor, Tensor)}'s work, inside the one-thread guard. */
    protected abstract void computeForward(Tensor x, Tensor y);

    /**
     * Back-propagates through the last training forward: adds parameter gradients into
     * {@link Parameter#grad()} and writes the input gradient into {@code dx}, or skips it when
     * {@code dx} is {@code null}.
     *
     * @param dy gradient with respect to the last output; read
     * @param dx gradient with respect to the last input, or {@code null}; overwritten
     * @throws IllegalStateException if no training forward came first, or another thread is
     *         inside a call on this layer
     */
    public final void backward(Tensor dy, Tensor dx) {
        enter();
        try {
            computeBackward(dy, dx);
        } finally {
            exit();
        }
    }

    /** {@link #backward(Tensor, Tensor)}'s work, inside the one-thread guard. */
    protected abstract void computeBackward(Tensor dy, Tensor dx);

    @Override public Tensor forward(Tensor x) {
        Check.arg(x != null, "input: expected a tensor, got null");
        Shape out = outputShape(x.shape());
        Tensor y = Tensor.onHeap("output", out, outputLayout(x.layout()));
        forward(x, y);
        return y;
    }

    @Override public Tensor backward(Tensor dy) {
        Shape in = lastInputShape();
        requireTrainingForward(in != null);
        Tensor dx = Tensor.onHeap("input gradient", in, lastInputLayout());
        backward(dy, dx);
        return dx;
    }

    /** The shape of the last training forward's input, or {@code null}. */
    protected abstract Shape lastInputShape();

    /** The layout of the last training forward's input. */
    protected abstract Layout lastInputLayout();

    @Override public Map<String, Parameter> namedParameters() {
        return Map.of();
    }

    @Override public void train() {
        setTraining(true);
    }

    @Override public void eval() {
        setTraining(false);
    }

    private void setTraining(boolean t) {
        enter();
        try {
            training = t;
        } finally {
            exit();
        }
    }

    /**
     * Begins a call that reads or writes the layer's state; pair it with {@link #exit()} in a
     * {@code finally} block.
     *
     * @throws IllegalStateException if another thread is inside a call on this layer
     */
    protected final void enter() {
        guard.enter(this);
    }

    /** Ends the call {@link #enter()} began. */
    protected final void exit() {
        guard.exit();
    }

    @Override public boolean isTraining() {
        return training;
    }

    /** Nothing native to release. */
    @Override public void close() {}

    // ---- helpers for subclasses --------------------------------------------------------------

    /**
     * The check at the start of every backward: {@code ran} says whether a training forward came
     * first. A plain {@code if}, so that a passing check allocates nothing (no varargs array).
     *
     * @throws IllegalStateException if not
     */
    protected final void requireTrainingForward(boolean ran) {
        if (!ran) {
            Check.state(false, "%s: backward needs a forward pass in training mode first", this);
        }
    }

    /**
     * Checks that {@code t} is a tensor of shape {@code expected} in {@code layout} (any
     * layout, if it has no spatial dimensions: a matrix is stored the same either way).
     */
    protected static void checkShape(String name, Tensor t, Shape expected, Layout layout) {
        Check.arg(t != null, "%s: expected a tensor of shape %s, got null", name, expected);
        Check.arg(t.shape().equals(expected), "%s: expected shape %s, got %s", name, expected, t.shape());
        Check.arg(t.layout() == layout || t.shape().rank() < 3, "%s: expected layout %s, got %s", name, layout, t.layout());
    }

    /** A growable array a layer owns (never a tensor's own array). */
    protected static final class Scratch {
        private float[] data = new float[0];

        /** An array of at least {@code size} elements; its contents are unspecified. */
        public float[] get(int size) {
            if (data.length < size) {
                data = new float[size];
            }
            return data;
        }
    }

    /** {@code t}'s values as an array: its own for a heap tensor, else copied into {@code scratch}. */
    protected static float[] read(Tensor t, Scratch scratch) {
        float[] own = t.array();
        if (own != null) {
            return own;
        }
        float[] s = scratch.get(t.size());
        t.buffer().get(0, s, 0, t.size());
        return s;
    }

    /** An array to compute {@code t}'s new values in: its own for a heap tensor, else {@code scratch}'s. */
    protected static float[] target(Tensor t, Scratch scratch) {
        float[] own = t.array();
        return own != null ? own : scratch.get(t.size());
    }

    /**
     * Stores {@code values[from, to)} (from {@link #target}) into an off-heap {@code t}; a heap
     * tensor already holds them. For a parallel loop to store its own chunk while the chunk is
     * still in cache, instead of one thread copying the whole array after: the caller then
     * records the write with {@link Tensor#markModified()}.
     */
    protected static void store(Tensor t, float[] values, int from, int to) {
        if (t.array() != values) {
            t.buffer().put(from, values, from, to - from);
        }
    }

    /** Stores values computed in {@code values} (from {@link #target}) into {@code t} and records the write. */
    protected static void commit(Tensor t, float[] values) {
        if (t.array() != values) {
            t.buffer().put(0, values, 0, t.size());
        }
        t.markModified();
    }
}
