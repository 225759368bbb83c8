package dev.conv4j.onednn;

import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Tensor;
import java.util.function.Function;

/** Presents a plan that takes converted tensors as a channels-first, direct-tensor plan. */
final class ConvertingPlan extends ForwardingPlan {
    /** A channels-last copy of activations and weights (rank >= 3), a plain copy of the rest. */
    static final Function<Tensor, Tensor> CHANNELS_LAST =
            t -> t.shape().rank() >= 3 ? t.toLayout(dev.conv4j.tensor.Layout.CHANNELS_LAST) : t.copy();

    /** A heap ({@code float[]}) copy. */
    static final Function<Tensor, Tensor> HEAP = t -> Tensor.wrap(t.toArray(), t.shape(), t.layout());

    private final Function<Tensor, Tensor> convert;
    private final String label;

    ConvertingPlan(Plan delegate, Function<Tensor, Tensor> convert, String label) {
        super(delegate);
        this.convert = convert;
        this.label = label;
    }

    private Tensor in(Tensor t) {
        return t == null ? null : convert.apply(t);
    }

    private static void back(Tensor converted, Tensor out) {
        if (converted != null) {
            out.copyFrom(converted);
        }
    }

    @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
        Tensor d = in(dst);
        delegate.forward(in(src), in(wei), in(bia), d);
        back(d, dst);
    }

    @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
        Tensor ds = in(diffSrc);
        delegate.backwardData(in(diffDst), in(wei), ds);
        back(ds, diffSrc);
    }

    @Override public void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
        Tensor dw = in(diffWei);
        Tensor db = in(diffBia);
        delegate.backwardWeights(in(src), in(diffDst), dw, db);
        back(dw, diffWei);
        back(db, diffBia);
    }

    @Override public String toString() {
        return label;
    }
}
