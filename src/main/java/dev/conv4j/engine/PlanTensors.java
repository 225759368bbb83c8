package dev.conv4j.engine;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;

/**
 * The tensors a {@link Plan} takes: their shapes as the plan lists them, the activations'
 * layout, and the checks of each call's tensors against them ({@link PlanArgs#check}), in
 * one place for every engine. The checks allocate nothing when they pass, so prepared plans
 * stay allocation-free.
 *
 * @param src         {@code src} and {@code diffSrc}
 * @param dst         {@code dst} and {@code diffDst}
 * @param wei         {@code wei} and {@code diffWei}
 * @param bia         {@code bia} and {@code diffBia}, or {@code null} without bias
 * @param activations the layout of {@code src}, {@code dst} and their gradients ({@link PlanOptions#userLayout()})
 */
public record PlanTensors(Shape src, Shape dst, Shape wei, Shape bia, Layout activations) {

    /** The tensors of {@code spec} on input {@code src}, activations in {@code options}' user layout. */
    public static PlanTensors of(ConvSpec spec, Shape src, PlanOptions options) {
        return new PlanTensors(src, ConvShapes.dst(spec, src), ConvShapes.wei(spec), ConvShapes.bia(spec),
                options.userLayout());
    }

    /**
     * The checks of {@link Plan#forward}.
     *
     * @throws IllegalArgumentException naming the first tensor that does not fit
     */
    public void checkForward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
        PlanArgs.check("src", src, this.src, activations);
        PlanArgs.check("wei", wei, this.wei, null);
        PlanArgs.check("bia", bia, this.bia, null);
        PlanArgs.check("dst", dst, this.dst, activations);
        notInPlace("dst", dst, "src", src, "wei", wei, "bia", bia);
    }

    /**
     * The checks of {@link Plan#backwardData}.
     *
     * @throws IllegalArgumentException naming the first tensor that does not fit
     */
    public void checkBackwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
        PlanArgs.check("diff_dst", diffDst, dst, activations);
        PlanArgs.check("wei", wei, this.wei, null);
        PlanArgs.check("diff_src", diffSrc, src, activations);
        notInPlace("diff_src", diffSrc, "diff_dst", diffDst, "wei", wei, null, null);
    }

    /**
     * The checks of {@link Plan#backwardWeights}.
     *
     * @throws IllegalArgumentException naming the first tensor that does not fit
     */
    public void checkBackwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
        PlanArgs.check("src", src, this.src, activations);
        PlanArgs.check("diff_dst", diffDst, dst, activations);
        PlanArgs.check("diff_wei", diffWei, wei, null);
        PlanArgs.check("diff_bia", diffBia, bia, null);
        notInPlace("diff_wei", diffWei, "src", src, "diff_dst", diffDst, null, null);
        notInPlace("diff_bia", diffBia, "src", src, "diff_dst", diffDst, "diff_wei", diffWei);
    }

    /**
     * Rejects an output that shares storage with an input (or another output): every output
     * element reads many input elements, so a convolution cannot run in place. The reference
     * engine silently computed garbage from an input it had already overwritten.
     */
    private static void notInPlace(String out, Tensor o, String a, Tensor ta, String b, Tensor tb, String c, Tensor tc) {
        if (o == null) {
            return;
        }
        String input = o.sharesStorage(ta) ? a : o.sharesStorage(tb) ? b : o.sharesStorage(tc) ? c : null;
        if (input != null) {
            throw new IllegalArgumentException(out + ": shares its storage with " + input
                    + "; a convolution cannot write its output over an input, give it a tensor of its own");
        }
    }
}
