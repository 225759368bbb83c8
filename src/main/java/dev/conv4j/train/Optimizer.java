package dev.conv4j.train;

import dev.conv4j.nn.Parameter;
import java.util.List;

/**
 * Updates parameters from their accumulated gradients. {@link #step()} writes every
 * parameter's value and then calls {@link Parameter#markModified()}, so that an engine which
 * keeps weights in its own layout (oneDNN) re-lays them out once before the next use.
 */
public interface Optimizer {

    /** One update from the current gradients. */
    void step();

    /** Clears the gradients of all parameters. */
    default void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    /** The parameters this optimizer updates. */
    List<Parameter> parameters();

    double learningRate();

    void setLearningRate(double lr);
}
