package dev.conv4j.nn;

import dev.conv4j.Check;
import dev.conv4j.io.Npy;
import dev.conv4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trainable layer: {@code y = forward(x)}, then {@code dx = backward(dy)}, which also
 * <b>adds</b> {@code ∂loss/∂p} into every parameter's {@link Parameter#grad()} (PyTorch's
 * accumulation; clear with {@link #zeroGrad()}).
 *
 * <p><b>Modes.</b> A new layer is in training mode. {@link #eval()} switches to inference:
 * forward then runs inference-only plans (oneDNN's {@code forward_inference}) and keeps no
 * input, and {@code backward} throws {@link IllegalStateException}. {@link #train()} switches
 * back.
 *
 * <p><b>Threads.</b> A layer is <em>not</em> safe for concurrent use: it remembers the input
 * of the last forward for backward, accumulates gradients, and reuses plans that own scratch
 * memory. Confine a layer to one thread at a time (handing it over through any
 * happens-before edge, e.g. an executor, is fine). For parallel inference give each thread
 * its own layer with the same weights ({@link #copyParametersFrom}). Overlapping calls on one
 * layer are detected and fail with {@link IllegalStateException} instead of corrupting data.
 */
public interface Layer extends AutoCloseable {

    /**
     * Computes the layer's output.
     *
     * @param x input; read (in training mode it is also kept, not copied, for the next
     *          {@link #backward}: do not modify it in between)
     * @return a new output tensor in the layer's layout
     * @throws IllegalArgumentException if {@code x}'s shape or layout does not fit the layer
     * @throws IllegalStateException    if the layer is closed or in use by another thread
     */
    Tensor forward(Tensor x);

    /**
     * Back-propagates {@code dy} through the last {@link #forward}: adds the parameter
     * gradients into {@link Parameter#grad()} and returns the input gradient.
     *
     * @param dy gradient of the loss with respect to the last output; read
     * @return a new tensor {@code ∂loss/∂x}, shaped and laid out like the last input
     * @throws IllegalStateException if the layer is in inference mode, has not run a training
     *                               forward, is closed, or is in use by another thread
     */
    Tensor backward(Tensor dy);

    /** The parameters by their PyTorch {@code state_dict} names, in registration order. */
    Map<String, Parameter> namedParameters();

    /** The parameters, in {@link #namedParameters()} order. */
    default List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Clears every parameter's gradient. */
    default void zeroGrad() {
        for (Parameter p : namedParameters().values()) {
            p.zeroGrad();
        }
    }

    /** Switches to training mode (the default): forward keeps its input for backward. */
    void train();

    /** Switches to inference mode: forward-only plans, no backward. */
    void eval();

    boolean isTraining();

    /**
     * Copies every parameter value of {@code other}, matched by name; gradients are not copied.
     *
     * @param other a layer with the same parameter names and shapes; read
     * @throws IllegalArgumentException naming the first parameter that is missing or differs in shape
     */
    default void copyParametersFrom(Layer other) {
        Map<String, Parameter> mine = namedParameters();
        Map<String, Parameter> theirs = other.namedParameters();
        Check.arg(mine.keySet().equals(theirs.keySet()), "parameters: expected names %s, got %s",
                mine.keySet(), theirs.keySet());
        for (Map.Entry<String, Parameter> e : mine.entrySet()) {
            e.getValue().copyFrom(theirs.get(e.getKey()).value());
        }
    }

    /**
     * Writes each parameter value as {@code <name>.npy} (float32, C order) into {@code dir}, named
     * as in a PyTorch {@code state_dict}: {@code weight.npy}, {@code bias.npy}, or for a
     * {@link SeparableConv2d} {@code depthwise.weight.npy}, {@code pointwise.weight.npy}, ....
     * In PyTorch, {@code torch.from_numpy(numpy.load("weight.npy"))} reads them back.
     *
     * @param dir the directory; created if missing; existing files of those names are replaced
     * @throws IOException if a file cannot be written
     */
    default void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            Npy.write(dir.resolve(e.getKey() + ".npy"), e.getValue().value());
        }
    }

    /**
     * Reads every parameter value from {@code <name>.npy} in {@code dir} (as {@link #save}
     * writes them, or as PyTorch exports them with
     * {@code numpy.save("weight.npy", module.weight.detach().numpy())}). All files are read
     * and checked before any parameter changes; other files in {@code dir} are ignored.
     * Gradients are left as they are.
     *
     * @param dir the directory; read
     * @throws IllegalArgumentException if a file is missing, is not a float32/float64 NPY
     *         array, or has a shape other than the parameter's (naming the file and both shapes)
     * @throws IOException if a file cannot be read
     */
    default void load(Path dir) throws IOException {
        Map<Parameter, Tensor> read = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            Path file = dir.resolve(e.getKey() + ".npy");
            Parameter p = e.getValue();
            Check.arg(Files.isRegularFile(file), "%s: missing file %s for parameter %s of shape %s",
                    e.getKey(), file, e.getKey(), p.shape());
            Tensor t = Npy.read(file);
            Check.arg(t.shape().equals(p.shape()), "%s: %s has shape %s, expected %s",
                    e.getKey(), file, t.shape(), p.shape());
            read.put(p, t);
        }
        read.forEach(Parameter::copyFrom);
    }

    /** Releases the layer's plans (the parameters stay readable); idempotent. */
    @Override
    void close();
}
