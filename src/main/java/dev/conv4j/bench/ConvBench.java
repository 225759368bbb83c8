package dev.conv4j.bench;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Times prepared plans, per problem and direction, as {@code conv4j bench} does: a plan is
 * prepared once per problem, its tensors are filled once with fixed-seed values, and each
 * direction is timed by a {@link Sampler} (with a {@link RawBaseline}, interleaved with it).
 * GFLOP/s come from {@link ConvShapes#flops}, the same function everywhere.
 */
public final class ConvBench {

    /**
     * What to measure with.
     *
     * @param engine      the engine under test
     * @param planOptions options passed to {@link Engine#prepare} (training is set per problem)
     * @param layoutLabel the layout policy as printed ({@code any}, {@code channels-last}, {@code auto})
     * @param threads     native threads in use (printed where the plan runs a direction on no count of its own)
     * @param peakGflops  the machine's peak, or {@code NaN} if unknown
     * @param sampler     repetition policy
     * @param baseline    raw-backend baselines, or {@code null} to time the plan alone
     */
    public record Setup(Engine engine, PlanOptions planOptions, String layoutLabel, int threads, double peakGflops,
                        Sampler sampler, RawBaseline.Factory baseline) {
        public Setup {
            Objects.requireNonNull(engine, "engine");
            Objects.requireNonNull(planOptions, "planOptions");
            Objects.requireNonNull(layoutLabel, "layoutLabel");
            Objects.requireNonNull(sampler, "sampler");
        }
    }

    private final Setup setup;

    public ConvBench(Setup setup) {
        this.setup = setup;
    }

    public Setup setup() {
        return setup;
    }

    /**
     * Prepares {@code spec} on input {@code src} with tensors filled from a fixed seed.
     *
     * @param problem  the descriptor as printed in the results
     * @param training whether backward directions will be timed
     * @throws IllegalArgumentException if {@code src} is not a valid input of {@code spec}
     */
    public Prepared prepare(String problem, ConvSpec spec, Shape src, boolean training) {
        return prepare(setup.engine(), setup.planOptions().withTraining(training), problem, spec, src);
    }

    /**
     * Prepares {@code spec} on input {@code src} with {@code engine} and tensors filled from a
     * fixed seed; backward directions are available when {@code options.training()}.
     */
    public static Prepared prepare(Engine engine, PlanOptions options, String problem, ConvSpec spec, Shape src) {
        ConvShapes.validateInput(spec, src);
        Plan plan = engine.prepare(spec, src, options);
        try {
            return new Prepared(problem, spec, src, options.training(), plan, options.userLayout());
        } catch (RuntimeException | Error e) {
            plan.close();
            throw e;
        }
    }

    /** Times {@code dir} of a prepared problem (and its baseline, if the setup has one). */
    public BenchRow measure(Prepared p, Direction dir) {
        Sampler.Task call = p.call(dir);
        Stats stats;
        Stats base = null;
        if (setup.baseline() != null) {
            try (RawBaseline raw = setup.baseline().create(p.spec, p.src, dir, p.training)) {
                Stats[] both = setup.sampler().interleaved(call, Sampler.Task.of(raw::run));
                stats = both[0];
                base = both[1];
            }
        } else {
            stats = setup.sampler().sample(call);
        }
        double flops = ConvShapes.flops(p.spec, p.src, dir);
        int own = p.plan.threads(dir);
        int threads = own > 0 ? own : setup.threads();
        return BenchRow.of(p.problem, dir, p.src.dim(0), setup.engine().name(), setup.layoutLabel(),
                threads, stats, flops, setup.peakGflops(), p.plan.implementation(dir), base);
    }

    /** A plan and its tensors, ready to time; close it to release the plan. */
    public static final class Prepared implements AutoCloseable {
        private final String problem;
        private final ConvSpec spec;
        private final Shape src;
        private final boolean training;
        private final Plan plan;
        private final Tensor x;
        private final Tensor w;
        private final Tensor b;
        private final Tensor y;
        private final Tensor dy;
        private final Tensor dx;
        private final Tensor dw;
        private final Tensor db;

        private Prepared(String problem, ConvSpec spec, Shape src, boolean training, Plan plan, Layout layout) {
            this.problem = problem;
            this.spec = spec;
            this.src = src;
            this.training = training;
            this.plan = plan;
            SplittableRandom rnd = new SplittableRandom(42);
            x = uniform(Tensor.allocate(plan.srcShape(), layout), rnd);
            w = uniform(Tensor.allocate(plan.weiShape()), rnd);
            b = plan.biaShape() == null ? null : uniform(Tensor.allocate(plan.biaShape()), rnd);
            y = Tensor.allocate(plan.dstShape(), layout);
            if (training) {
                dy = uniform(Tensor.allocate(plan.dstShape(), layout), rnd);
                dx = Tensor.allocate(plan.srcShape(), layout);
                dw = Tensor.allocate(plan.weiShape());
                db = plan.biaShape() == null ? null : Tensor.allocate(plan.biaShape());
            } else {
                dy = dx = dw = db = null;
            }
        }

        public Plan plan() {
            return plan;
        }

        /**
         * One call of {@code dir} on the prepared tensors (allocation-free when the plan's calls
         * are), as in a training step, where each pass reads new data: forward and
         * backward-data mark their input modified (so no reordered copy of it made by an
         * earlier call can be reused), and backward-weights runs after that step's forward and
         * backward-data, untimed ({@link Sampler.Task#before}). Backward-weights reads the
         * source and gradient those two passes read: a copy of them that one of those passes
         * reordered into the layout backward-weights computes in is reused, as in training, but
         * a reorder backward-weights needs on its own is timed in every run (it would not be, if
         * the same tensors were read again unchanged). That is how {@code AUTO} charges the
         * candidates it times.
         */
        public Sampler.Task call(Direction dir) {
            if (dir != Direction.FWD && !training) {
                throw new IllegalStateException("bench: " + problem + " was prepared for inference, cannot time " + dir.label());
            }
            Runnable forward = () -> {
                x.markModified();
                plan.forward(x, w, b, y);
            };
            Runnable backwardData = () -> {
                dy.markModified();
                plan.backwardData(dy, w, dx);
            };
            return switch (dir) {
                case FWD -> Sampler.Task.of(forward);
                case BWD_D -> Sampler.Task.of(backwardData);
                case BWD_W -> new Sampler.Task(() -> {
                    forward.run();
                    backwardData.run();
                }, () -> plan.backwardWeights(x, dy, dw, db));
            };
        }

        @Override
        public void close() {
            plan.close();
        }
    }

    /** Fills {@code t} with uniform values in [-1, 1) from {@code rnd}, as every timed input is, and returns it. */
    public static Tensor uniform(Tensor t, SplittableRandom rnd) {
        for (int i = 0; i < t.size(); i++) {
            t.buffer().put(i, (float) (rnd.nextDouble() * 2 - 1));
        }
        t.markModified();
        return t;
    }
}
