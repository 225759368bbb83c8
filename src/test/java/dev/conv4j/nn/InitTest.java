package dev.conv4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Initialisation draws stay within the documented bounds and have the documented statistics. */
class InitTest {

    /** Mean and variance of the tensor's values. */
    private static double[] moments(Tensor t) {
        double s = 0;
        double s2 = 0;
        for (int i = 0; i < t.size(); i++) {
            s += t.get(i);
            s2 += (double) t.get(i) * t.get(i);
        }
        double mean = s / t.size();
        return new double[] {mean, s2 / t.size() - mean * mean};
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (int i = 0; i < t.size(); i++) {
            m = Math.max(m, Math.abs(t.get(i)));
        }
        return m;
    }

    /** U(−b, b): every value within b, the largest close to b, mean ≈ 0, variance ≈ b²/3. */
    private static void assertUniform(Tensor t, double b) {
        double max = maxAbs(t);
        assertTrue(max <= b * (1 + 1e-6), "max |w| " + max + " exceeds bound " + b);
        assertTrue(max > 0.97 * b, "max |w| " + max + " far below bound " + b);
        double[] m = moments(t);
        double sigma = b / Math.sqrt(3);
        assertTrue(Math.abs(m[0]) < 5 * sigma / Math.sqrt(t.size()), "mean " + m[0]);
        assertEquals(b * b / 3, m[1], 0.05 * b * b / 3, "variance");
    }

    private static void assertNormal(Tensor t, double std) {
        double[] m = moments(t);
        assertTrue(Math.abs(m[0]) < 5 * std / Math.sqrt(t.size()), "mean " + m[0]);
        assertEquals(std, Math.sqrt(m[1]), 0.03 * std, "std");
        assertTrue(maxAbs(t) > 3 * std, "a normal sample of this size reaches 3 sigma");
    }

    @Test
    void pytorchDefaultConv2d() {
        try (Conv2d c = Conv2d.builder(64, 64, 3).seed(11).build()) {
            assertEquals(576, Init.fanIn(c.weight().shape()));
            double b = 1 / Math.sqrt(576);
            assertEquals(b, Init.weightScale(Init.Scheme.PYTORCH_DEFAULT, c.weight().shape()), 1e-15);
            assertUniform(c.weight().value(), b);
            assertTrue(maxAbs(c.bias().value()) <= b);
            assertTrue(NnTesting.nonZero(c.bias().value()) == 64);
            assertEquals(0, NnTesting.nonZero(c.weight().grad()));
        }
    }

    @Test
    void pytorchDefaultTransposedUsesOutPerGroupAsFanIn() {
        // weight [IC, OC/G, K...] = [64, 32, 3, 3]: fan_in = 32·9 as in PyTorch
        try (ConvTranspose2d c = ConvTranspose2d.builder(64, 64, 3).groups(2).seed(12).build()) {
            assertEquals(Shape.of(64, 32, 3, 3), c.weight().shape());
            assertEquals(288, Init.fanIn(c.weight().shape()));
            assertEquals(64 * 9, Init.fanOut(c.weight().shape()));
            assertUniform(c.weight().value(), 1 / Math.sqrt(288));
            assertTrue(maxAbs(c.bias().value()) <= 1 / Math.sqrt(288));
        }
    }

    @Test
    void xavierAndHe() {
        Shape w = Shape.of(64, 32, 3, 3);   // fan_in 288, fan_out 576
        try (Conv2d c = Conv2d.builder(32, 64, 3).init(Init.Scheme.XAVIER_UNIFORM).seed(13).build()) {
            assertUniform(c.weight().value(), Math.sqrt(6.0 / (288 + 576)));
            assertEquals(0, NnTesting.nonZero(c.bias().value()));
        }
        try (Conv2d c = Conv2d.builder(32, 64, 3).init(Init.Scheme.XAVIER_NORMAL).seed(14).build()) {
            assertNormal(c.weight().value(), Math.sqrt(2.0 / (288 + 576)));
            assertEquals(0, NnTesting.nonZero(c.bias().value()));
        }
        try (Conv2d c = Conv2d.builder(32, 64, 3).init(Init.Scheme.HE_UNIFORM).seed(15).build()) {
            assertUniform(c.weight().value(), Math.sqrt(6.0 / 288));
        }
        try (Conv2d c = Conv2d.builder(32, 64, 3).init(Init.Scheme.HE_NORMAL).seed(16).build()) {
            assertNormal(c.weight().value(), Math.sqrt(2.0 / 288));
        }
        assertEquals(Math.sqrt(2.0 / 288), Init.weightScale(Init.Scheme.HE_NORMAL, w), 1e-15);
    }

    @Test
    void seedDecidesTheValues() {
        try (Conv1d a = Conv1d.builder(4, 8, 3).seed(42).build();
             Conv1d b = Conv1d.builder(4, 8, 3).seed(42).build();
             Conv1d c = Conv1d.builder(4, 8, 3).seed(43).build()) {
            assertArrayEquals(a.weight().value().toArray(), b.weight().value().toArray());
            assertArrayEquals(a.bias().value().toArray(), b.bias().value().toArray());
            assertFalse(Arrays.equals(a.weight().value().toArray(), c.weight().value().toArray()));
        }
        try (SeparableConv2d a = SeparableConv2d.builder(4, 8, 3).seed(7).build();
             SeparableConv2d b = SeparableConv2d.builder(4, 8, 3).seed(7).build();
             SeparableConv2d c = SeparableConv2d.builder(4, 8, 3).seed(8).build()) {
            assertArrayEquals(a.depthwise().weight().value().toArray(), b.depthwise().weight().value().toArray());
            assertArrayEquals(a.pointwise().weight().value().toArray(), b.pointwise().weight().value().toArray());
            assertFalse(Arrays.equals(a.pointwise().weight().value().toArray(), c.pointwise().weight().value().toArray()));
        }
    }
}
