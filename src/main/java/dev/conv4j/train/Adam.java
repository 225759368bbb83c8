package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam, as PyTorch's {@code torch.optim.Adam} (no weight decay, no amsgrad): at step t,
 * {@code m = β1·m + (1−β1)·g}; {@code v = β2·v + (1−β2)·g²};
 * {@code p −= lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)}. Defaults β1 = 0.9,
 * β2 = 0.999, ε = 1e-8.
 */
public final class Adam extends ParamOptimizer {
    private final List<float[]> m = new ArrayList<>();
    private final List<float[]> v = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private int t;

    /** Adam with PyTorch's default betas (0.9, 0.999) and ε = 1e-8. */
    public Adam(List<Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8);
    }

    /**
     * @param lr    learning rate, &gt; 0
     * @param beta1 in {@code [0, 1)}
     * @param beta2 in {@code [0, 1)}
     * @param eps   &gt; 0
     */
    public Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps) {
        super(params, lr);
        Check.arg(beta1 >= 0 && beta1 < 1, "beta1: must be in [0, 1), got %s", beta1);
        Check.arg(beta2 >= 0 && beta2 < 1, "beta2: must be in [0, 1), got %s", beta2);
        Check.arg(eps > 0, "eps: must be > 0, got %s", eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        for (Parameter p : this.params) {
            m.add(new float[p.value().size()]);
            v.add(new float[p.value().size()]);
        }
    }

    @Override public void step() {
        t++;
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float c1 = (float) (1 - beta1);
        float c2 = (float) (1 - beta2);
        // p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)
        float stepSize = (float) (lr / (1 - Math.pow(beta1, t)));
        float invSqrtBias2 = (float) (1 / Math.sqrt(1 - Math.pow(beta2, t)));
        float e = (float) eps;
        for (int i = 0; i < params.size(); i++) {
            float[] mi = m.get(i);
            float[] vi = v.get(i);
            ParamTiles.update(params.get(i), (w, g, offset, len) -> {
                for (int j = 0; j < len; j++) {
                    float gj = g[j];
                    float mj = b1 * mi[offset + j] + c1 * gj;
                    float vj = b2 * vi[offset + j] + c2 * gj * gj;
                    mi[offset + j] = mj;
                    vi[offset + j] = vj;
                    w[j] -= stepSize * mj / ((float) Math.sqrt(vj) * invSqrtBias2 + e);
                }
            });
        }
    }

    /** Steps taken so far. */
    public int steps() { return t; }

    @Override public String toString() {
        return "Adam(lr=" + lr + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ")";
    }
}
