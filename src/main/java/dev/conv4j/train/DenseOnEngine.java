package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.ConvSpec;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.nn.Parameter;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;

/**
 * The three products of a {@link Dense} layer as a 1×1 convolution on an engine: the batch
 * {@code [N, in]} is the image batch {@code [N, in, 1, 1]} and the weight {@code [out, in]} the
 * kernel {@code [out, in, 1, 1]}, the same storage seen through {@link Tensor#reshape} (no copy).
 * On oneDNN, under {@link LayoutPolicy#AUTO}, that is a matmul or an {@code sgemm} on the
 * tensors themselves, timed once per batch size.
 *
 * <p>One plan per mode (training, inference) for the last batch size it saw. The views of
 * the caller's tensors are kept while the caller passes the same tensors, so that a training
 * loop, which reuses its tensors, allocates nothing per batch.
 */
final class DenseOnEngine implements AutoCloseable {
    private final Engine engine;
    private final ConvSpec spec;
    private final Parameter weight;
    private final Parameter bias;          // null without bias
    private final Tensor weightImage;      // weight.value() as [out, in, 1, 1]
    private Tensor weightDelta;            // this backward's weight gradient, when it is added in
    private Tensor biasDelta;
    private Plan trainingPlan;
    private Plan inferencePlan;
    private boolean closed;
    private final View srcImage = new View();
    private final View dstImage = new View();
    private final View diffDstImage = new View();
    private final View diffSrcImage = new View();
    private final View diffWeiImage = new View();   // the weight gradient written, as [out, in, 1, 1]

    DenseOnEngine(Engine engine, Parameter weight, Parameter bias) {
        this.engine = engine;
        this.weight = weight;
        this.bias = bias;
        int out = weight.shape().dim(0);
        int in = weight.shape().dim(1);
        this.spec = ConvSpec.conv2d(in, out, 1).bias(bias != null).build();
        this.weightImage = weight.value().reshape(Shape.of(out, in, 1, 1));
    }

    /** {@code dst = src · Wᵀ + b}; shapes checked by the caller. */
    void forward(Tensor src, Tensor dst, boolean training) {
        Tensor src4 = srcImage.of(src);
        plan(src4.shape(), training).forward(src4, weightImage, bias == null ? null : bias.value(), dstImage.of(dst));
    }

    /**
     * Adds {@code dW = diffDstᵀ · src} and {@code db = Σ_n diffDst} into the gradients and writes
     * {@code diffSrc = diffDst · W} unless {@code diffSrc} is null; {@code src} is the last
     * training forward's.
     */
    void backward(Tensor src, Tensor diffDst, Tensor diffSrc) {
        Tensor src4 = srcImage.of(src);
        Tensor diffDst4 = diffDstImage.of(diffDst);
        Plan plan = plan(src4.shape(), true);
        // A cleared gradient is overwritten in place, else this call's goes to scratch first.
        Tensor dw = weight.gradTarget(weightDelta);
        if (dw == null) {
            weightDelta = dw = Tensor.allocate(weight.shape());
        }
        Tensor db = bias == null ? null : bias.gradTarget(biasDelta);
        if (bias != null && db == null) {
            biasDelta = db = Tensor.allocate(bias.shape());
        }
        plan.backwardWeights(src4, diffDst4, diffWeiImage.of(dw), db);
        weight.gradFrom(dw);
        if (bias != null) {
            bias.gradFrom(db);
        }
        if (diffSrc != null) {
            plan.backwardData(diffDst4, weightImage, diffSrcImage.of(diffSrc));
        }
    }

    /** The plan of that mode for images of shape {@code src4}, prepared when the batch size changes. */
    private Plan plan(Shape src4, boolean training) {
        if (closed) {
            Check.state(false, "Dense(in_features=%d, out_features=%d) is closed", spec.inChannels(), spec.outChannels());
        }
        Plan p = training ? trainingPlan : inferencePlan;
        if (p != null && p.srcShape().equals(src4)) {
            return p;
        }
        if (p != null) {
            p.close();
        }
        // In training an optimizer changes the weights between calls: AUTO counts their re-layout.
        PlanOptions options = (training ? PlanOptions.DEFAULT.withWeightsUpdated(true) : PlanOptions.inference())
                .withLayout(LayoutPolicy.AUTO);
        p = engine.prepare(spec, src4, options);
        if (training) {
            trainingPlan = p;
        } else {
            inferencePlan = p;
        }
        return p;
    }

    @Override public void close() {
        closed = true;
        try {
            if (trainingPlan != null) {
                trainingPlan.close();
            }
        } finally {
            trainingPlan = null;
            if (inferencePlan != null) {
                inferencePlan.close();
            }
            inferencePlan = null;
        }
    }

    /** The image view {@code [N, F, 1, 1]} of a caller's {@code [N, F]} tensor, kept while it is the same tensor. */
    private static final class View {
        private Tensor matrix;
        private Tensor image;

        Tensor of(Tensor t) {
            if (t != matrix) {
                image = t.reshape(Shape.of(t.shape().dim(0), t.shape().dim(1), 1, 1));
                matrix = t;
            }
            return image;
        }
    }
}
