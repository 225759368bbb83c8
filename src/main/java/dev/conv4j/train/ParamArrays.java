package dev.conv4j.train;

import dev.conv4j.nn.Parameter;
import java.nio.FloatBuffer;

/**
 * A parameter's value and gradient as float arrays for an optimizer step: one bulk copy in,
 * the update on arrays (which HotSpot vectorizes), one bulk copy out.
 */
final class ParamArrays {
    final Parameter param;
    final float[] value;
    final float[] grad;

    ParamArrays(Parameter param) {
        this.param = param;
        int n = param.value().size();
        this.value = new float[n];
        this.grad = new float[n];
    }

    void load() {
        int n = value.length;
        param.value().buffer().get(0, value, 0, n);
        param.grad().buffer().get(0, grad, 0, n);
    }

    void store() {
        FloatBuffer v = param.value().buffer();
        v.put(0, value, 0, value.length);
        param.markModified();
    }
}
