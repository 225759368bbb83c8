package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.nn.ConvLayer;
import dev.conv4j.nn.Layer;
import dev.conv4j.nn.Parameter;
import dev.conv4j.nn.SeparableConv2d;
import dev.conv4j.nn.UseGuard;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Layers applied one after the other, PyTorch's {@code nn.Sequential}, with the activation and
 * gradient tensors between them allocated once per input shape and reused: a training step
 * on a prepared shape allocates nothing. {@link ConvLayer}s and {@link JavaLayer}s write into
 * those tensors; any other {@link Layer} runs through its allocating {@code forward}.
 *
 * <p>Tensors written by a convolution are off-heap (the engine writes them without a copy);
 * those written by a {@link JavaLayer} are heap arrays (read and written in place by Java
 * loops). Each tensor is in the layout of the layer that writes it: a convolution's own (see
 * {@link ConvLayer#layout()}), a Java layer's input's; so a model of channels-last convolutions
 * keeps its activations channels-last throughout. The time spent in each layer is added up ({@link #convNanos()},
 * {@link #otherNanos()}) so a training loop can report where an epoch goes.
 *
 * <p>The model owns its layers: {@link #close()} closes them. Not thread-safe (see
 * {@link Layer}): confine a model to one thread at a time; an overlapping call from a second
 * thread throws {@link IllegalStateException} (its buffers between the layers are reused, so
 * a second forward would overwrite the first's activations even where no one layer is
 * called by both at once).
 */
public final class Sequential implements AutoCloseable {
    /**
     * Input shapes whose buffers are kept, least recently used dropped first: enough for
     * {@link Trainer#fit}, which sees a full and a last, smaller training batch, and the same
     * two in evaluation.
     */
    private static final int MAX_SHAPES = 4;

    private final List<Layer> layers;
    private final UseGuard guard = new UseGuard();
    private final Map<Input, Buffers> buffers = new LinkedHashMap<>(8, 0.75f, true);
    private Buffers last;        // buffers of the last forward
    private boolean training = true;
    private long convNanos;
    private long otherNanos;
    private long[] layerNanos;

    /** What the buffers between the layers depend on: the input's shape, and the layout the first layer reads it in. */
    private record Input(Shape shape, Layout layout) {}

    /** Tensors between the layers for one input: act[i] is layer i's output, grad[i] its gradient. */
    private static final class Buffers {
        final Tensor[] act;
        final Tensor[] grad;
        Tensor input;
        Tensor converted;   // the input in the first layer's layout, when that differs

        Buffers(int n) {
            act = new Tensor[n];
            grad = new Tensor[n];
        }
    }

    public Sequential(Layer... layers) {
        this(List.of(layers));
    }

    public Sequential(List<? extends Layer> layers) {
        Check.arg(!layers.isEmpty(), "layers: a Sequential needs at least one layer");
        this.layers = List.copyOf(layers);
        this.layerNanos = new long[this.layers.size()];
    }

    public List<Layer> layers() {
        return layers;
    }

    /** Every layer's parameters, in layer order. */
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        for (Layer l : layers) {
            all.addAll(l.parameters());
        }
        return Collections.unmodifiableList(all);
    }

    /** Number of trainable values. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.value().size();
        }
        return n;
    }

    /** Training mode for every layer (the default). */
    public void train() {
        guard.enter(this);
        try {
            setTraining(true);
        } finally {
            guard.exit();
        }
    }

    private void setTraining(boolean t) {
        for (Layer l : layers) {
            if (t) {
                l.train();
            } else {
                l.eval();
            }
        }
        training = t;
        last = null;
    }

    /** Inference mode for every layer: no backward, dropout off, inference plans. */
    public void eval() {
        guard.enter(this);
        try {
            setTraining(false);
        } finally {
            guard.exit();
        }
    }

    public boolean isTraining() {
        return training;
    }

    /** The output shape for input shape {@code x}, or {@code null} if a layer cannot tell without running. */
    public Shape outputShape(Shape x) {
        Shape s = x;
        for (Layer l : layers) {
            s = shapeAfter(l, s);
            if (s == null) {
                return null;
            }
        }
        return s;
    }

    private static Shape shapeAfter(Layer l, Shape in) {
        if (l instanceof JavaLayer j) {
            return j.outputShape(in);
        }
        if (l instanceof ConvLayer c) {
            return c.outputShape(in);
        }
        return null;
    }

    /**
     * Runs every layer.
     *
     * @param x input {@code [N, ...]} in either layout (copied into the first layer's, if that is
     *          a convolution of the other one); read (kept until the next forward, for backward)
     * @return the last layer's output: owned by the model and overwritten by the next forward
     *         with the same input shape
     */
    public Tensor forward(Tensor x) {
        guard.enter(this);
        try {
            return runForward(x);
        } finally {
            guard.exit();
        }
    }

    private Tensor runForward(Tensor x) {
        Layout first = inputLayout(x);
        Buffers b = buffersFor(new Input(x.shape(), first));
        b.input = x;
        Tensor cur = x;
        if (first != x.layout()) {
            if (b.converted == null || b.converted.layout() != first) {
                b.converted = Tensor.allocate(x.shape(), first);
            }
            b.converted.copyFrom(x);
            cur = b.converted;
        }
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            long t0 = System.nanoTime();
            Tensor out = b.act[i];
            if (out == null) {
                out = l.forward(cur);
            } else if (l instanceof ConvLayer c) {
                c.forward(cur, out);
            } else {
                ((JavaLayer) l).forward(cur, out);
            }
            account(i, l, System.nanoTime() - t0);
            cur = out;
        }
        last = b;
        return cur;
    }

    /**
     * Back-propagates through the last forward (which must have run in training mode): every
     * layer adds its parameter gradients. The first layer's input gradient is not computed.
     *
     * @param dy gradient of the loss with respect to the last output; read
     */
    public void backward(Tensor dy) {
        guard.enter(this);
        try {
            runBackward(dy);
        } finally {
            guard.exit();
        }
    }

    private void runBackward(Tensor dy) {
        Check.state(training && last != null, "Sequential: backward needs a forward pass in training mode first");
        Buffers b = last;
        Tensor g = dy;
        for (int i = layers.size() - 1; i >= 0; i--) {
            Layer l = layers.get(i);
            long t0 = System.nanoTime();
            Tensor dx = i == 0 ? null : b.grad[i - 1];
            if (dx == null && i > 0) {
                dx = l.backward(g);             // no buffer: a layer of unknown shape
            } else if (l instanceof ConvLayer c) {
                c.backward(g, dx);              // dx == null: the first layer needs no input gradient
            } else if (l instanceof JavaLayer j) {
                j.backward(g, dx);
            } else {
                l.backward(g);
            }
            account(i, l, System.nanoTime() - t0);
            g = dx;
        }
    }

    private void account(int i, Layer l, long nanos) {
        layerNanos[i] += nanos;
        if (l instanceof ConvLayer || l instanceof SeparableConv2d) {   // the layers that run convolutions
            convNanos += nanos;
        } else {
            otherNanos += nanos;
        }
    }

    /** Nanoseconds spent in convolution layers (forward and backward) since the last {@link #resetTimes()}. */
    public long convNanos() {
        return convNanos;
    }

    /** Nanoseconds spent in the other layers since the last {@link #resetTimes()}. */
    public long otherNanos() {
        return otherNanos;
    }

    /** Nanoseconds spent in each layer (forward and backward) since the last {@link #resetTimes()}; a copy. */
    public long[] layerNanos() {
        return layerNanos.clone();
    }

    public void resetTimes() {
        convNanos = 0;
        otherNanos = 0;
        Arrays.fill(layerNanos, 0);
    }

    private Buffers buffersFor(Input x) {
        Buffers b = buffers.get(x);
        if (b != null) {
            return b;
        }
        b = new Buffers(layers.size());
        Shape s = x.shape();
        Layout layout = x.layout();
        for (int i = 0; i < layers.size() && s != null; i++) {
            Layer l = layers.get(i);
            s = shapeAfter(l, s);
            if (s == null) {
                break;   // a layer of unknown output shape: it and those after it allocate
            }
            boolean conv = l instanceof ConvLayer;
            layout = l instanceof ConvLayer c ? c.layout() : ((JavaLayer) l).outputLayout(layout);
            b.act[i] = conv ? Tensor.allocate(s, layout) : heap(s, layout);
            if (i + 1 < layers.size()) {
                // The gradient of this output is written by the next layer's backward.
                Layer next = layers.get(i + 1);
                b.grad[i] = next instanceof ConvLayer ? Tensor.allocate(s, layout)
                        : next instanceof JavaLayer ? heap(s, layout) : null;
            }
        }
        if (buffers.size() >= MAX_SHAPES) {
            var eldest = buffers.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
        buffers.put(x, b);
        return b;
    }

    private static Tensor heap(Shape s, Layout layout) {
        return Tensor.onHeap("activation", s, layout);
    }

    /**
     * The layout the first layer takes {@code x} in: a convolution's own (a channels-last one
     * converts a channels-first batch once, in {@link #forward}), else {@code x}'s.
     */
    private Layout inputLayout(Tensor x) {
        return x.shape().rank() >= 3 && layers.get(0) instanceof ConvLayer c ? c.layout() : x.layout();
    }

    /** Closes every layer. */
    @Override public void close() {
        guard.enter(this);
        try {
            for (Layer l : layers) {
                l.close();
            }
            buffers.clear();
            last = null;
        } finally {
            guard.exit();
        }
    }

    @Override public String toString() {
        StringBuilder s = new StringBuilder("Sequential(");
        for (int i = 0; i < layers.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(layers.get(i));
        }
        return s.append(')').toString();
    }
}
