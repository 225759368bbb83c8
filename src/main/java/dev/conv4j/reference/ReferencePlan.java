package dev.conv4j.reference;

import dev.conv4j.Check;
import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.engine.PlanTensors;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * A reference plan. A transposed spec runs as the adjoint of the plain convolution with its
 * channels swapped ({@link ConvGeometry#of}): its forward is that convolution's backward-data
 * plus its own bias, its backward-data is that convolution's forward, and its
 * backward-weights is that convolution's backward-weights with input and output gradient
 * swapped. A non-zero padding mode runs on an explicitly padded copy of the input, and
 * backward-data folds the padded gradient back ({@link Pad}). Channels-last tensors are
 * converted to channels-first copies around the computation.
 */
final class ReferencePlan implements Plan {
    private final ConvSpec spec;
    private final PlanOptions options;
    private final PlanTensors tensors;
    private final boolean padded;     // a non-zero padding mode: convolve a padded copy
    private final Shape paddedShape;
    private final ConvGeometry geometry;
    private volatile boolean closed;

    ReferencePlan(ConvSpec spec, Shape src, PlanOptions options) {
        this.spec = spec;
        this.options = options;
        this.tensors = PlanTensors.of(spec, src, options);
        this.padded = spec.paddingMode() != PaddingMode.ZEROS;
        ConvGeometry q = ConvGeometry.of(spec, src, ConvShapes.padLeft(spec, src));
        if (padded) {
            paddedShape = ConvShapes.paddedInput(spec, src);
            q = q.withInput(ConvGeometry.view3(spec.rank(), paddedShape::spatial, 1));
        } else {
            paddedShape = null;
        }
        this.geometry = q;
    }

    @Override public ConvSpec spec() { return spec; }
    @Override public Shape srcShape() { return tensors.src(); }
    @Override public Shape dstShape() { return tensors.dst(); }
    @Override public Shape weiShape() { return tensors.wei(); }
    @Override public Shape biaShape() { return tensors.bia(); }
    @Override public String engineName() { return "reference"; }
    @Override public String implementation(Direction dir) {
        Objects.requireNonNull(dir, "dir");
        checkOpen();
        return "java:reference";
    }

    @Override public int threads(Direction dir) {
        Objects.requireNonNull(dir, "dir");
        checkOpen();
        return 0;   // the reference engine runs on the calling Java thread
    }

    @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
        checkOpen();
        tensors.checkForward(src, wei, bia, dst);
        Tensor x = channelsFirst(src);
        Tensor w = channelsFirst(wei);
        Tensor y = scratchFor(dst);
        FloatBuffer b = bia == null ? null : bia.buffer();
        if (spec.transposed()) {
            // dst = bia + (the plain convolution's backward-data of src), one double sum
            ReferenceConv.backwardData(geometry, x.buffer(), w.buffer(), b, y.buffer());
        } else {
            ReferenceConv.forward(geometry, padded(x).buffer(), w.buffer(), b, y.buffer());
        }
        finish(y, dst);
    }

    @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
        checkOpen();
        checkTraining();
        tensors.checkBackwardData(diffDst, wei, diffSrc);
        Tensor dy = channelsFirst(diffDst);
        Tensor w = channelsFirst(wei);
        Tensor dx = scratchFor(diffSrc);
        if (spec.transposed()) {
            ReferenceConv.forward(geometry, dy.buffer(), w.buffer(), null, dx.buffer());
        } else if (padded) {
            Tensor dxPadded = Tensor.allocate(paddedShape);
            ReferenceConv.backwardData(geometry, dy.buffer(), w.buffer(), null, dxPadded.buffer());
            Pad.fold(spec, dxPadded, dx);
        } else {
            ReferenceConv.backwardData(geometry, dy.buffer(), w.buffer(), null, dx.buffer());
        }
        finish(dx, diffSrc);
    }

    @Override public void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
        checkOpen();
        checkTraining();
        tensors.checkBackwardWeights(src, diffDst, diffWei, diffBia);
        Tensor x = channelsFirst(src);
        Tensor dy = channelsFirst(diffDst);
        Tensor dw = scratchFor(diffWei);
        FloatBuffer db = diffBia == null ? null : diffBia.buffer();
        if (spec.transposed()) {
            // The plain convolution's "input" is this layer's output gradient, and its
            // "output gradient" is this layer's input.
            ReferenceConv.backwardWeights(geometry, dy.buffer(), x.buffer(), dw.buffer(), null);
            if (db != null) {
                Shape dstShape = tensors.dst();
                ReferenceConv.biasGradient(dy.buffer(), dstShape.dim(0), dstShape.dim(1),
                        (int) (dstShape.elementCount() / ((long) dstShape.dim(0) * dstShape.dim(1))), db);
            }
        } else {
            ReferenceConv.backwardWeights(geometry, padded(x).buffer(), dy.buffer(), dw.buffer(), db);
        }
        finish(dw, diffWei);
        if (diffBia != null) {
            diffBia.markModified();
        }
    }

    @Override public void close() { closed = true; }

    private void checkOpen() {
        Check.state(!closed, "Plan for %s on input %s is closed", spec, tensors.src());
    }

    private void checkTraining() {
        Check.state(options.training(), "Plan for %s was prepared for inference only: prepare it with training=true to run backward", spec);
    }

    private Tensor padded(Tensor x) {
        if (!padded) {
            return x;
        }
        Tensor p = Tensor.allocate(paddedShape);
        Pad.pad(spec, x, p);
        return p;
    }

    /**
     * {@code t} in channels-first storage: itself, or a copy. Weight tensors are read by their
     * own layout too (a channels-last weight tensor is {@code [OC, K..., IC/G]} in storage).
     */
    private static Tensor channelsFirst(Tensor t) {
        return t.layout() == Layout.CHANNELS_FIRST ? t : t.toLayout(Layout.CHANNELS_FIRST);
    }

    private static Tensor scratchFor(Tensor out) {
        return out.layout() == Layout.CHANNELS_FIRST ? out : Tensor.allocate(out.shape());
    }

    private static void finish(Tensor result, Tensor out) {
        if (result != out) {
            out.copyFrom(result);
        } else {
            out.markModified();
        }
    }
}
