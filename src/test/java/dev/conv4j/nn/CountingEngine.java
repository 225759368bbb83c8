package dev.conv4j.nn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * An engine that delegates to another and records every prepared plan, its options and
 * whether it was closed; it can also hold a forward call until released (for the
 * overlapping-use test).
 */
final class CountingEngine implements Engine {
    final Engine inner;
    final List<CountingPlan> plans = new ArrayList<>();
    volatile CountDownLatch forwardEntered;
    volatile CountDownLatch releaseForward;

    CountingEngine(Engine inner) {
        this.inner = inner;
    }

    @Override public String name() { return inner.name(); }

    @Override public Plan prepare(ConvSpec spec, Shape src, PlanOptions options) {
        CountingPlan p = new CountingPlan(inner.prepare(spec, src, options), options);
        plans.add(p);
        return p;
    }

    int open() {
        return (int) plans.stream().filter(p -> !p.closed).count();
    }

    final class CountingPlan implements Plan {
        final Plan plan;
        final PlanOptions options;
        boolean closed;
        int forwards;

        CountingPlan(Plan plan, PlanOptions options) {
            this.plan = plan;
            this.options = options;
        }

        @Override public ConvSpec spec() { return plan.spec(); }
        @Override public Shape srcShape() { return plan.srcShape(); }
        @Override public Shape dstShape() { return plan.dstShape(); }
        @Override public Shape weiShape() { return plan.weiShape(); }
        @Override public Shape biaShape() { return plan.biaShape(); }
        @Override public String engineName() { return plan.engineName(); }
        @Override public String implementation(Direction dir) { return plan.implementation(dir); }
        @Override public int threads(Direction dir) { return plan.threads(dir); }

        @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
            forwards++;
            CountDownLatch entered = forwardEntered;
            CountDownLatch release = releaseForward;
            if (entered != null) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            plan.forward(src, wei, bia, dst);
        }

        @Override public void backwardData(Tensor diffDst, Tensor wei, Tensor diffSrc) {
            plan.backwardData(diffDst, wei, diffSrc);
        }

        @Override public void backwardWeights(Tensor src, Tensor diffDst, Tensor diffWei, Tensor diffBia) {
            plan.backwardWeights(src, diffDst, diffWei, diffBia);
        }

        @Override public void close() {
            closed = true;
            plan.close();
        }
    }
}
