package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.nn.Parameter;
import dev.conv4j.tensor.Shape;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The optimizers against their update rules written out in double. */
class OptimizerTest {
    private static final double[] GRADS = {0.5, -1.0, 2.0};

    private static Parameter param(double... values) {
        Parameter p = new Parameter("weight", Shape.of(values.length));
        for (int i = 0; i < values.length; i++) {
            p.value().set(i, (float) values[i]);
        }
        return p;
    }

    private static void setGrad(Parameter p, double scale) {
        for (int i = 0; i < GRADS.length; i++) {
            p.grad().set(i, (float) (GRADS[i] * scale));
        }
    }

    @Test void sgdWithMomentumAndWeightDecay() {
        Parameter p = param(1, 2, 3);
        Sgd sgd = new Sgd(List.of(p), 0.1, 0.9, 0.01);
        double[] w = {1, 2, 3};
        double[] v = new double[3];
        for (int step = 0; step < 4; step++) {
            double scale = 1 + step;
            setGrad(p, scale);
            long before = p.value().version();
            sgd.step();
            assertNotEquals(before, p.value().version(), "step must mark the weights modified");
            for (int i = 0; i < 3; i++) {
                double g = GRADS[i] * scale + 0.01 * w[i];
                v[i] = step == 0 ? g : 0.9 * v[i] + g;
                w[i] -= 0.1 * v[i];
                assertEquals(w[i], p.value().get(i), 1e-5, "step " + step + " element " + i);
            }
        }
    }

    @Test void plainSgd() {
        Parameter p = param(1, 2, 3);
        setGrad(p, 1);
        new Sgd(List.of(p), 0.5, 0, 0).step();
        assertEquals(0.75f, p.value().get(0));
        assertEquals(2.5f, p.value().get(1));
        assertEquals(2.0f, p.value().get(2));
    }

    @Test void adamMatchesItsRule() {
        Parameter p = param(1, 2, 3);
        Adam adam = new Adam(List.of(p), 0.01);
        double[] w = {1, 2, 3};
        double[] m = new double[3];
        double[] v = new double[3];
        for (int t = 1; t <= 5; t++) {
            double scale = t % 2 == 0 ? -1 : 1.5;
            setGrad(p, scale);
            adam.step();
            for (int i = 0; i < 3; i++) {
                double g = GRADS[i] * scale;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double mHat = m[i] / (1 - Math.pow(0.9, t));
                double vHat = v[i] / (1 - Math.pow(0.999, t));
                w[i] -= 0.01 * mHat / (Math.sqrt(vHat) + 1e-8);
                assertEquals(w[i], p.value().get(i), 1e-5, "step " + t + " element " + i);
            }
        }
        assertEquals(5, adam.steps());
        // The first Adam step moves each weight by about lr, whatever the gradient's size.
        Parameter q = param(0);
        q.grad().set(0, 1000f);
        new Adam(List.of(q), 0.01).step();
        assertEquals(-0.01, q.value().get(0), 1e-6);
    }

    @Test void zeroGradClearsEveryGradient() {
        Parameter p = param(1, 2, 3);
        Parameter q = param(4);
        setGrad(p, 1);
        q.grad().set(0, 5f);
        Optimizer o = new Adam(List.of(p, q), 0.1);
        o.zeroGrad();
        for (int i = 0; i < 3; i++) {
            assertEquals(0f, p.grad().get(i));
        }
        assertEquals(0f, q.grad().get(0));
    }

    /**
     * A step on a parameter large enough to be split over threads reuses its tiles: the heap
     * it allocates, summed over every thread (the fork-join pool's workers too), stays far
     * below one tile pair (32 KB) per step.
     */
    @Test void aStepAllocatesNoTilesOnAnyThread() {
        Parameter p = new Parameter("w", Shape.of(256, 256, 3, 3));
        for (Optimizer o : List.of(new Sgd(List.of(p), 0.01, 0.9, 0), new Adam(List.of(p), 0.01))) {
            for (int i = 0; i < 20; i++) {
                o.step();   // warm up: the JIT, the pool's threads, the tile pool
            }
            int steps = 50;
            long before = allocatedByAllThreads();
            for (int i = 0; i < steps; i++) {
                o.step();
            }
            long perStep = (allocatedByAllThreads() - before) / steps;
            assertTrue(perStep < 8 * 1024, o + ": " + perStep + " B per step");
        }
    }

    private static long allocatedByAllThreads() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            sum += Math.max(0, mx.getThreadAllocatedBytes(t.getId()));
        }
        return sum;
    }

    @Test void rejectsBadHyperParameters() {
        List<Parameter> ps = List.of(param(1));
        assertEquals("lr: must be > 0, got 0.0",
                assertThrows(IllegalArgumentException.class, () -> new Adam(ps, 0)).getMessage());
        assertEquals("momentum: must be in [0, 1), got 1.0",
                assertThrows(IllegalArgumentException.class, () -> new Sgd(ps, 0.1, 1, 0)).getMessage());
    }
}
