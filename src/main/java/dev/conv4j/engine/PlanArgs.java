package dev.conv4j.engine;

import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;

/**
 * The tensor checks every {@link Plan} call makes, shared by the engines. Allocation-free
 * when the check passes, so prepared plans stay allocation-free.
 */
public final class PlanArgs {
    private PlanArgs() {}

    /**
     * Checks that {@code t} has shape {@code expected} (and {@code layout}, for activations);
     * {@code expected == null} means the tensor must be absent.
     *
     * @param name   the tensor's name in messages ({@code src}, {@code wei}, ...)
     * @param layout required layout, or {@code null} for weights and bias
     * @throws IllegalArgumentException naming the tensor, the expected and the actual shape
     */
    public static void check(String name, Tensor t, Shape expected, Layout layout) {
        if (expected == null) {
            if (t != null) {
                throw new IllegalArgumentException(name + ": the layer has no bias, but a tensor " + t.shape() + " was given");
            }
            return;
        }
        if (t == null) {
            throw new IllegalArgumentException(name + ": expected a tensor of shape " + expected + ", got null");
        }
        if (!t.shape().equals(expected)) {
            throw new IllegalArgumentException(name + ": expected shape " + expected + ", got " + t.shape());
        }
        if (layout != null && t.layout() != layout && expected.rank() >= 3) {
            throw new IllegalArgumentException(name + ": expected layout " + layout + ", got " + t.layout());
        }
    }
}
