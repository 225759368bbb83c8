package dev.conv4j.nn;

import dev.conv4j.Check;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Random;

/**
 * Weight and bias initialisation, with PyTorch's default for convolutions and the Xavier
 * (Glorot) and He (Kaiming) alternatives. All draws come from a {@link Random} seeded by the
 * caller, so a layer built with the same seed gets the same values.
 *
 * <p>Fans follow PyTorch's {@code _calculate_fan_in_and_fan_out} for a weight of shape
 * {@code [d0, d1, k...]}: {@code fan_in = d1 · Π k}, {@code fan_out = d0 · Π k}. For a
 * convolution {@code [OC, IC/G, K...]} that is {@code fan_in = IC/G · Π k}; for a transposed
 * one {@code [IC, OC/G, K...]} it is {@code OC/G · Π k}, as in PyTorch.
 *
 * <table>
 *   <caption>Schemes</caption>
 *   <tr><th>scheme</th><th>weight</th><th>bias</th></tr>
 *   <tr><td>{@link Scheme#PYTORCH_DEFAULT}</td><td>kaiming-uniform, a = √5:
 *       U(−b, b), b = √(6 / ((1 + a²)·fan_in)) = 1/√fan_in</td>
 *       <td>U(−1/√fan_in, 1/√fan_in)</td></tr>
 *   <tr><td>{@link Scheme#XAVIER_UNIFORM}</td><td>U(−b, b), b = √(6 / (fan_in + fan_out))</td><td>0</td></tr>
 *   <tr><td>{@link Scheme#XAVIER_NORMAL}</td><td>N(0, σ²), σ = √(2 / (fan_in + fan_out))</td><td>0</td></tr>
 *   <tr><td>{@link Scheme#HE_UNIFORM}</td><td>U(−b, b), b = √(6 / fan_in) (kaiming-uniform, a = 0, ReLU gain)</td><td>0</td></tr>
 *   <tr><td>{@link Scheme#HE_NORMAL}</td><td>N(0, σ²), σ = √(2 / fan_in)</td><td>0</td></tr>
 * </table>
 */
public final class Init {
    private Init() {}

    /** How a layer's parameters are initialised. */
    public enum Scheme {
        /** PyTorch's {@code reset_parameters()} of {@code nn.ConvNd}: kaiming-uniform (a = √5) weights, uniform bias. */
        PYTORCH_DEFAULT,
        /** Glorot uniform weights, zero bias. */
        XAVIER_UNIFORM,
        /** Glorot normal weights, zero bias. */
        XAVIER_NORMAL,
        /** He (kaiming) uniform weights for ReLU, zero bias. */
        HE_UNIFORM,
        /** He (kaiming) normal weights for ReLU, zero bias. */
        HE_NORMAL
    }

    /** {@code fan_in = d1 · Π k} of a weight shape {@code [d0, d1, k...]}. */
    public static int fanIn(Shape weight) {
        Check.arg(weight.rank() >= 2, "weight: fan in needs at least 2 dimensions, got %s", weight);
        return weight.dim(1) * receptiveField(weight);
    }

    /** {@code fan_out = d0 · Π k} of a weight shape {@code [d0, d1, k...]}. */
    public static int fanOut(Shape weight) {
        Check.arg(weight.rank() >= 2, "weight: fan out needs at least 2 dimensions, got %s", weight);
        return weight.dim(0) * receptiveField(weight);
    }

    private static int receptiveField(Shape weight) {
        int rf = 1;
        for (int d = 2; d < weight.rank(); d++) {
            rf *= weight.dim(d);
        }
        return rf;
    }

    /**
     * The bound {@code b} of the uniform weight distribution of {@code scheme}, or the standard
     * deviation for the normal schemes.
     */
    public static double weightScale(Scheme scheme, Shape weight) {
        double fanIn = fanIn(weight);
        double fanOut = fanOut(weight);
        return switch (scheme) {
            case PYTORCH_DEFAULT -> Math.sqrt(6.0 / ((1.0 + 5.0) * fanIn));   // kaiming-uniform, a = √5
            case XAVIER_UNIFORM -> Math.sqrt(6.0 / (fanIn + fanOut));
            case XAVIER_NORMAL -> Math.sqrt(2.0 / (fanIn + fanOut));
            case HE_UNIFORM -> Math.sqrt(6.0 / fanIn);
            case HE_NORMAL -> Math.sqrt(2.0 / fanIn);
        };
    }

    /** The bound of the uniform bias distribution of {@code scheme} (0: the bias is zero). */
    public static double biasBound(Scheme scheme, Shape weight) {
        return scheme == Scheme.PYTORCH_DEFAULT ? 1.0 / Math.sqrt(fanIn(weight)) : 0.0;
    }

    /**
     * Initialises a layer's weight and bias by {@code scheme}.
     *
     * @param weight weight tensor {@code [d0, d1, k...]}; overwritten
     * @param bias   bias tensor, or {@code null}; overwritten
     * @param rng    source of the draws (weights first, then bias); advanced
     */
    public static void initialize(Scheme scheme, Tensor weight, Tensor bias, Random rng) {
        double scale = weightScale(scheme, weight.shape());
        switch (scheme) {
            case XAVIER_NORMAL, HE_NORMAL -> normal(weight, scale, rng);
            default -> uniform(weight, scale, rng);
        }
        if (bias != null) {
            uniform(bias, biasBound(scheme, weight.shape()), rng);
        }
    }

    /** Fills {@code t} with draws from {@code U(−bound, bound)} ({@code bound = 0}: zeros); marks it modified. */
    public static void uniform(Tensor t, double bound, Random rng) {
        Check.arg(bound >= 0 && Double.isFinite(bound), "bound: must be finite and >= 0, got %s", bound);
        FloatBuffer b = t.buffer();
        for (int i = 0; i < t.size(); i++) {
            b.put(i, bound == 0 ? 0f : (float) ((2.0 * rng.nextDouble() - 1.0) * bound));
        }
        t.markModified();
    }

    /** Fills {@code t} with draws from {@code N(0, std²)}; marks it modified. */
    public static void normal(Tensor t, double std, Random rng) {
        Check.arg(std >= 0 && Double.isFinite(std), "std: must be finite and >= 0, got %s", std);
        FloatBuffer b = t.buffer();
        for (int i = 0; i < t.size(); i++) {
            b.put(i, (float) (rng.nextGaussian() * std));
        }
        t.markModified();
    }
}
