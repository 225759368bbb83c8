package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Finite-difference gradient checks. The layers compute in float; the checks evaluate the
 * scalar {@code L = Σ r·y} (r fixed and random) in double and compare central differences
 * {@code (L(v + ε) − L(v − ε)) / 2ε} with the analytic gradient under
 * {@code |num − ana| ≤ atol + rtol·|ana|}. Inputs are chosen away from kinks (ReLU at 0,
 * max-pool ties) by more than ε, so the differences see a smooth function.
 */
final class GradCheck {
    private GradCheck() {}

    static Tensor heap(Shape s, float[] values) {
        return Tensor.wrap(values, s, Layout.CHANNELS_FIRST);
    }

    static float[] uniform(int n, SplittableRandom r, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return v;
    }

    /** {@code Σ r·y} in double. */
    static double dot(float[] r, Tensor y) {
        double s = 0;
        for (int i = 0; i < r.length; i++) {
            s += (double) r[i] * y.get(i);
        }
        return s;
    }

    /**
     * Compares {@code analytic[i]} with the central difference of {@code loss} when element
     * {@code i} of {@code values} moves by ±eps ({@code touch} runs after each change, e.g. to
     * mark a parameter modified). Returns the number of elements checked.
     */
    static int check(String what, float[] values, Runnable touch, DoubleSupplier loss, float[] analytic,
                     double eps, double atol, double rtol) {
        int checked = 0;
        double worst = 0;
        String worstAt = "";
        for (int i = 0; i < values.length; i++) {
            float saved = values[i];
            values[i] = (float) (saved + eps);
            double plus = (double) values[i] - saved;   // the step actually taken in float
            touch.run();
            double lp = loss.getAsDouble();
            values[i] = (float) (saved - eps);
            double minus = saved - (double) values[i];
            touch.run();
            double lm = loss.getAsDouble();
            values[i] = saved;
            touch.run();
            double num = (lp - lm) / (plus + minus);
            double err = Math.abs(num - analytic[i]) - (atol + rtol * Math.abs(analytic[i]));
            if (err > worst || checked == 0) {
                worst = err;
                worstAt = String.format(Locale.ROOT, "%s[%d]: numeric %.6g, analytic %.6g", what, i, num, analytic[i]);
            }
            checked++;
        }
        assertTrue(worst <= 0, "gradient mismatch, worst at " + worstAt);
        return checked;
    }
}
