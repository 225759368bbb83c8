package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;

/** A plan that forwards every call to another; tests override a call to break it on purpose. */
public class ForwardingPlan implements Plan {
    protected final Plan delegate;

    public ForwardingPlan(Plan delegate) {
        this.delegate = delegate;
    }

    @Override public ConvSpec spec() { return delegate.spec(); }
    @Override public Shape srcShape() { return delegate.srcShape(); }
    @Override public Shape dstShape() { return delegate.dstShape(); }
    @Override public Shape weiShape() { return delegate.weiShape(); }
    @Override public Shape biaShape() { return delegate.biaShape(); }
    @Override public String engineName() { return delegate.engineName(); }
    @Override public String implementation(Direction dir) { return delegate.implementation(dir); }
    @Override public int threads(Direction dir) { return delegate.threads(dir); }

    @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
        delegate.forward(src, wei, bia, dst);
    }

    @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
        delegate.backwardData(diffDst, wei, diffSrc);
    }

    @Override public void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
        delegate.backwardWeights(src, diffDst, diffWei, diffBia);
    }

    @Override public void close() { delegate.close(); }
}
