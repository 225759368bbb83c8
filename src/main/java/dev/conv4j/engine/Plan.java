package dev.conv4j.engine;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Objects;

/**
 * One convolution (spec + input shape) prepared to run many times. Tensors must have exactly
 * the shapes below (checked in Java; a mismatch is an {@link IllegalArgumentException}
 * naming the tensor, the expected and the actual shape) and activations the layout of
 * {@link PlanOptions#userLayout()}.
 *
 * <ul>
 *   <li>{@code src}, {@code diffSrc}: {@link #srcShape()}</li>
 *   <li>{@code dst}, {@code diffDst}: {@link #dstShape()}</li>
 *   <li>{@code wei}, {@code diffWei}: {@link #weiShape()} ({@code [OC, IC/G, K...]}, transposed
 *       {@code [IC, OC/G, K...]})</li>
 *   <li>{@code bia}, {@code diffBia}: {@link #biaShape()} ({@code [OC]}), or {@code null} when
 *       the spec has no bias</li>
 * </ul>
 *
 * <p>A plan is not safe for concurrent use by several threads unless its engine says so.
 * Closing is idempotent; using a closed plan throws {@link IllegalStateException}.
 */
public interface Plan extends AutoCloseable {

    ConvSpec spec();

    Shape srcShape();

    Shape dstShape();

    Shape weiShape();

    /** {@code [OC]}, or {@code null} without bias. */
    Shape biaShape();

    /** The engine's name ({@link Engine#name()}). */
    String engineName();

    /** The kernel that runs {@code dir}, e.g. {@code brg_conv_fwd:avx512_core} or {@code java:reference}. */
    String implementation(Direction dir);

    /**
     * The native threads {@code dir} runs on, where the engine chose a count of its own for
     * it (oneDNN's {@code AUTO} runs a pass of a few microseconds on one thread where that
     * is faster); 0 where it runs on the process's count.
     */
    default int threads(Direction dir) {
        Objects.requireNonNull(dir, "dir");
        return 0;
    }

    /**
     * {@code dst = conv(src, wei) + bia}.
     *
     * @param src input; read
     * @param wei weights; read
     * @param bia bias, or {@code null} without bias; read
     * @param dst output; overwritten
     */
    void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst);

    /**
     * Gradient of the loss with respect to the input.
     *
     * @param diffDst gradient with respect to {@code dst}; read
     * @param wei     weights; read
     * @param diffSrc gradient with respect to {@code src}; overwritten
     */
    void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc);

    /**
     * Gradients of the loss with respect to the weights and the bias.
     *
     * @param src     input of the forward pass; read
     * @param diffDst gradient with respect to {@code dst}; read
     * @param diffWei gradient with respect to {@code wei}; overwritten
     * @param diffBia gradient with respect to {@code bia}, or {@code null}; overwritten
     */
    void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia);

    /** Releases everything the plan holds; idempotent. */
    @Override
    void close();
}
