package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.nn.Parameter;
import java.util.List;

/**
 * What every optimizer of this package keeps alike: the parameters it updates and a learning
 * rate, with the one rule on it ({@code > 0}). Its methods are not final, so that the public
 * subclasses get public copies of them (javac's bridges), which reflection can call.
 */
abstract class ParamOptimizer implements Optimizer {
    final List<Parameter> params;
    double lr;

    /** @param lr learning rate, &gt; 0 */
    ParamOptimizer(List<Parameter> params, double lr) {
        checkLearningRate(lr);
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    @Override public List<Parameter> parameters() { return params; }
    @Override public double learningRate() { return lr; }

    @Override public void setLearningRate(double lr) {
        checkLearningRate(lr);
        this.lr = lr;
    }

    private static void checkLearningRate(double lr) {
        Check.arg(lr > 0, "lr: must be > 0, got %s", lr);
    }
}
