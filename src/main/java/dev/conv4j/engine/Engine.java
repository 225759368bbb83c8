package dev.conv4j.engine;

import dev.conv4j.ConvSpec;
import dev.conv4j.tensor.Shape;

/**
 * Turns a validated {@link ConvSpec} and an input shape into a {@link Plan} that runs many
 * times. Engines are interchangeable: code written against this interface runs unchanged on
 * {@link Engines#reference()} and on {@link Engines#onednn()}.
 */
public interface Engine {

    /** Short name: {@code "reference"} or {@code "onednn"}. */
    String name();

    /** Prepares a plan with {@link PlanOptions#DEFAULT}. */
    default Plan prepare(ConvSpec spec, Shape src) {
        return prepare(spec, src, PlanOptions.DEFAULT);
    }

    /**
     * Prepares everything one (spec, input shape) needs to run; the caller closes the plan.
     *
     * @param spec    the layer; read
     * @param src     input shape {@code [N, C_in, spatial...]}
     * @param options directions wanted, layout policy, user tensor layout
     * @throws IllegalArgumentException if {@code src} is not a valid input for {@code spec}
     *         (checked before any native call)
     */
    Plan prepare(ConvSpec spec, Shape src, PlanOptions options);
}
