package dev.conv4j.nn;

import dev.conv4j.Check;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Objects;

/**
 * A trainable tensor and the gradient accumulated for it: PyTorch's {@code nn.Parameter} with
 * its {@code .grad}. Both tensors are off-heap ({@link Tensor#allocate}), channels-first, of
 * the same {@link #shape()}, and live as long as the parameter (closing a layer does not free
 * them).
 *
 * <p>{@code backward} calls <b>add</b> into {@link #grad()}; {@link #zeroGrad()} clears it.
 * Clearing writes nothing at once: the next backward of a layer overwrites the gradient
 * instead of adding to zeros (no fill, no add pass over a gradient that can be megabytes),
 * and {@link #grad()} fills zeros first if it is read before that.
 * Whoever writes {@link #value()}'s buffer directly (an optimizer step) calls
 * {@link #markModified()} afterwards, so that engines which keep a re-laid-out copy of the
 * weights (oneDNN) refresh it exactly then and at no other time.
 *
 * <p>A layer's backward adds its gradient in one of two ways, both of which overwrite a
 * cleared gradient instead of adding to zeros: a backward that computes into a tensor asks
 * {@link #gradTarget} where to write and hands the result to {@link #gradFrom}; one that
 * computes into an array of its own asks {@link #clearedGrad()}, copies into it and calls
 * {@link #gradWritten()}, or else adds into {@link #grad()}.
 */
public final class Parameter {
    private final String name;
    private final Tensor value;
    private final Tensor grad;
    private boolean gradCleared;   // zeroGrad() since the last write: grad's storage is stale, read as zeros

    /**
     * A zero-valued parameter with a zero gradient.
     *
     * @param name  its name in a PyTorch {@code state_dict} ({@code weight}, {@code bias},
     *              {@code depthwise.weight}, ...)
     * @param shape its shape
     */
    public Parameter(String name, Shape shape) {
        this.name = Objects.requireNonNull(name, "name");
        this.value = Tensor.allocate(shape);
        this.grad = Tensor.allocate(shape);
    }

    /** The name this parameter has in a PyTorch {@code state_dict}, e.g. {@code weight}. */
    public String name() { return name; }

    public Shape shape() { return value.shape(); }

    /** The values; read by forward and backward, written by optimizers and {@link Layer#load}. */
    public Tensor value() { return value; }

    /** The accumulated gradient ({@code ∂loss/∂value} summed over backward calls since the last {@link #zeroGrad()}). */
    public Tensor grad() {
        if (gradCleared) {
            grad.fill(0f);
            gradCleared = false;
        }
        return grad;
    }

    /** Sets every gradient element to zero (when next read or written; see the class comment). */
    public void zeroGrad() { gradCleared = true; }

    /**
     * For a layer's backward: the gradient's tensor to <b>overwrite</b> with this backward's
     * gradient, if the gradient is cleared, else {@code null} (then add into {@link #grad()}).
     * Call {@link #gradWritten()} once every element is written.
     */
    public Tensor clearedGrad() {
        return gradCleared ? grad : null;
    }

    /** The tensor from {@link #clearedGrad()} now holds the gradient. */
    public void gradWritten() {
        gradCleared = false;
        grad.markModified();
    }

    /** Records that {@link #value()} was written directly (after an optimizer step). */
    public void markModified() { value.markModified(); }

    /**
     * Copies {@code values} (same shape) into {@link #value()}.
     *
     * @throws IllegalArgumentException naming this parameter if the shapes differ
     */
    public void copyFrom(Tensor values) {
        Check.arg(values.shape().equals(shape()), "%s: expected shape %s, got %s", name, shape(), values.shape());
        value.copyFrom(values);
    }

    /**
     * Where a layer's backward writes this call's gradient: the gradient itself when it is
     * cleared (overwritten, no copy), else {@code scratch} (so null when a caller that makes
     * its scratch lazily has none yet). Hand the result to {@link #gradFrom}.
     */
    public Tensor gradTarget(Tensor scratch) {
        return gradCleared ? grad : scratch;
    }

    /** After a backward wrote {@code target} (from {@link #gradTarget}): records the overwrite, or adds it in. */
    public void gradFrom(Tensor target) {
        if (target == grad) {
            gradWritten();
        } else {
            accumulate(target);
        }
    }

    /** {@code grad += delta}, element by element (same shape). */
    void accumulate(Tensor delta) {
        if (gradCleared) {
            grad.copyFrom(delta);
            gradWritten();
            return;
        }
        int n = grad.size();
        var g = grad.buffer();
        var d = delta.buffer();
        for (int i = 0; i < n; i++) {
            g.put(i, g.get(i) + d.get(i));
        }
        grad.markModified();
    }

    @Override public String toString() {
        return "Parameter(" + name + ", " + shape() + ")";
    }
}
