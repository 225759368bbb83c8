package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * Stochastic gradient descent with momentum and weight decay, as PyTorch's
 * {@code torch.optim.SGD}: {@code g = grad + λ·p}; {@code v = μ·v + g} (v starts as the first
 * {@code g}); {@code p −= lr · v} (without momentum {@code p −= lr · g}).
 */
public final class Sgd extends ParamOptimizer {
    private final List<float[]> velocity = new ArrayList<>();
    private final double momentum;
    private final double weightDecay;
    private boolean started;

    /**
     * @param params      the parameters to update
     * @param lr          learning rate, &gt; 0
     * @param momentum    μ in {@code [0, 1)}; 0 for plain SGD
     * @param weightDecay λ &gt;= 0 (L2 penalty)
     */
    public Sgd(List<Parameter> params, double lr, double momentum, double weightDecay) {
        super(params, lr);
        checkMomentum(momentum);
        Check.arg(weightDecay >= 0, "weight_decay: must be >= 0, got %s", weightDecay);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        for (Parameter p : this.params) {
            velocity.add(new float[p.value().size()]);
        }
    }

    /** The rule on {@code momentum}: in {@code [0, 1)}. */
    public static void checkMomentum(double momentum) {
        Check.arg(momentum >= 0 && momentum < 1, "momentum: must be in [0, 1), got %s", momentum);
    }

    @Override public void step() {
        float rate = (float) lr;
        float mu = (float) momentum;
        float wd = (float) weightDecay;
        boolean first = !started;
        for (int i = 0; i < params.size(); i++) {
            float[] v = velocity.get(i);
            ParamTiles.update(params.get(i), (w, g, offset, len) -> {
                for (int j = 0; j < len; j++) {
                    float gj = g[j] + wd * w[j];
                    if (mu != 0f) {
                        gj = first ? gj : mu * v[offset + j] + gj;
                        v[offset + j] = gj;
                    }
                    w[j] -= rate * gj;
                }
            });
        }
        started = true;
    }

    @Override public String toString() {
        return "SGD(lr=" + lr + ", momentum=" + momentum + ", weight_decay=" + weightDecay + ")";
    }
}
