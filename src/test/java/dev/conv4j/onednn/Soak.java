package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;

/**
 * The resource soak: many plan create/close cycles, then many executes on one prepared tiny
 * plan, reporting JavaCPP's {@link Pointer#totalCount()} and the process RSS ({@code VmRSS} of
 * {@code /proc/self/status}) before and after, the Java heap allocated per cycle and per
 * execute, and how many garbage collections ran.
 *
 * <p>Nothing may free a leaked native object behind the count's back. JavaCPP keeps
 * {@code totalCount} only while its pointer GC is on (with
 * {@code -Dorg.bytedeco.javacpp.nopointergc=true} the count stays 0), and that GC frees
 * native objects only after a Java garbage collection found them unreachable. So
 * {@code scripts/soak} runs with the pointer GC on but with the Epsilon collector (no Java
 * GC ever runs, the heap pre-touched so that RSS growth is native growth), and the report
 * checks that no collection ran: every native object ever allocated and not explicitly freed
 * is still counted.
 *
 * <p>Run: {@code scripts/soak [cycles] [executes]} (defaults 100000 and 1000000). Exits 1 when
 * the pointer count does not return to its baseline or a collection ran. {@code SoakTest} runs
 * a short version in a child JVM.
 */
public final class Soak {
    private Soak() {}

    /** Plan kinds the cycles rotate through: grouped with reflect padding (pre-padded), strided transposed, depthwise 3-D. */
    static final List<ConvSpec> SPECS = List.of(
            ConvSpec.conv2d(4, 8, 3).groups(2).padding(1).paddingMode(PaddingMode.REFLECT).build(),
            ConvSpec.transposed(2, 4, 2, 3).stride(2).padding(1).outputPadding(1).build(),
            ConvSpec.depthwise(3, 4, 2, 3).padding(1).bias(false).build());
    static final List<Shape> SHAPES = List.of(Shape.of(1, 4, 6, 6), Shape.of(1, 4, 5, 5), Shape.of(1, 4, 3, 4, 4));
    /** The plan of the executes: a tiny 2-D convolution, all three directions. */
    static final ConvSpec TINY = ConvSpec.conv2d(2, 2, 3).padding(1).build();
    static final Shape TINY_SHAPE = Shape.of(1, 2, 4, 4);

    /** Counts and measurements of one soak run. */
    record Report(long cycles, long executes, long pointersBaseline, long pointersAfterCycles,
                  long pointersWithPlanOpen, long pointersAfterExecutes, long pointersAtEnd,
                  long rssBaselineKb, long rssAfterCyclesKb, long rssAtEndKb, long rssPeakKb,
                  double cyclesSeconds, double executesSeconds, long heapBytesPerCycle,
                  double heapBytesPerExecute, long collections, boolean counting, long directBufferGrowthBytes) {

        boolean pointersBalanced() {
            return pointersAfterCycles == pointersBaseline && pointersAfterExecutes == pointersWithPlanOpen
                    && pointersAtEnd == pointersBaseline;
        }

        /** Whether the count is exact: JavaCPP counts, and no collection could have freed anything. */
        boolean exact() {
            return counting && collections == 0;
        }

        long rssGrowthKb() {
            return rssAtEndKb - rssBaselineKb;
        }

        String summary() {
            return String.format(Locale.ROOT,
                    "soak: %d plan create/close cycles in %.1f s, %d executes in %.1f s (%.1f us each)%n"
                            + "pointers: baseline %d, after cycles %d, plan open %d -> after executes %d, at end %d: %s%n"
                            + "garbage collections during the soak: %d; pointer counting %s: count %s%n"
                            + "RSS: baseline %d kB, after cycles %d kB, at end %d kB, peak %d kB, growth %+d kB (%+.1f MB),"
                            + " of which direct ByteBuffers (freed only by a Java GC) %+d kB%n"
                            + "Java heap allocated: %d bytes per cycle, %.2f bytes per execute",
                    cycles, cyclesSeconds, executes, executesSeconds, executes == 0 ? 0 : executesSeconds * 1e6 / executes,
                    pointersBaseline, pointersAfterCycles, pointersWithPlanOpen, pointersAfterExecutes, pointersAtEnd,
                    pointersBalanced() ? "balanced" : "LEAK", collections, counting ? "on" : "OFF (nopointergc)",
                    exact() ? "exact" : "NOT exact", rssBaselineKb, rssAfterCyclesKb, rssAtEndKb, rssPeakKb,
                    rssGrowthKb(), rssGrowthKb() / 1024.0, directBufferGrowthBytes / 1024, heapBytesPerCycle,
                    heapBytesPerExecute);
        }
    }

    public static void main(String[] args) {
        long cycles = args.length > 0 ? Long.parseLong(args[0]) : 100_000;
        long executes = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000;
        Report r = run(Engines.onednn(), cycles, executes, System.out);
        System.out.println(r.summary());
        System.out.println(r);
        System.exit(r.pointersBalanced() && r.exact() ? 0 : 1);
    }

    /**
     * Warms up, then runs {@code cycles} prepare/close cycles (rotating through {@link #SPECS},
     * training plans, so all three directions are built) and {@code executes} calls on the
     * prepared {@link #TINY} plan (forward, backward-data, backward-weights in turn; the weights change every
     * 1000 calls so the cached weight reorder runs too).
     *
     * @param progress where to print a line every 10 %, or {@code null}
     */
    static Report run(Engine engine, long cycles, long executes, PrintStream progress) {
        long warmCycles = Math.min(cycles, 1000);
        long warmExecutes = Math.min(executes, 10_000);
        Rss rss = new Rss();
        cycles(engine, warmCycles, null, rss);
        Inputs in = new Inputs(TINY, TINY_SHAPE);
        try (Plan plan = engine.prepare(in.spec, in.shape)) {
            executes(plan, in, warmExecutes, null, rss);
        }
        long gc0 = collections();
        long direct0 = directBufferBytes();
        long p0 = Pointer.totalCount();
        long rss0 = rss.sample();

        long heap0 = allocatedBytes() - rss.ownAllocation;
        long t0 = System.nanoTime();
        cycles(engine, cycles, progress, rss);
        double cyclesSeconds = (System.nanoTime() - t0) / 1e9;
        long heapPerCycle = cycles == 0 ? 0 : (allocatedBytes() - rss.ownAllocation - heap0) / cycles;
        long p1 = Pointer.totalCount();
        long rss1 = rss.sample();

        long pOpen;
        long pAfter;
        double executesSeconds;
        long heap1;
        long heap2;
        try (Plan plan = engine.prepare(in.spec, in.shape)) {
            executes(plan, in, 1000, null, rss);   // first calls reorder the weights once
            pOpen = Pointer.totalCount();
            heap1 = allocatedBytes() - rss.ownAllocation;
            long t1 = System.nanoTime();
            executes(plan, in, executes, progress, rss);
            executesSeconds = (System.nanoTime() - t1) / 1e9;
            heap2 = allocatedBytes() - rss.ownAllocation;
            pAfter = Pointer.totalCount();
        }
        long pEnd = Pointer.totalCount();
        long rss2 = rss.sample();
        long gc = collections() - gc0;
        boolean counting = !Boolean.parseBoolean(System.getProperty("org.bytedeco.javacpp.nopointergc", "false"));
        return new Report(cycles, executes, p0, p1, pOpen, pAfter, pEnd, rss0, rss1, rss2, rss.peak,
                cyclesSeconds, executesSeconds, heapPerCycle, executes == 0 ? 0 : (double) (heap2 - heap1) / executes,
                gc, counting, directBufferBytes() - direct0);
    }

    /** Bytes of direct ByteBuffers alive (Tensor storage; freed only when a collection finds them unreachable). */
    static long directBufferBytes() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    /** Collections run so far by every collector of this JVM. */
    static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    /** Java heap bytes this thread has allocated so far. */
    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static void cycles(Engine engine, long n, PrintStream progress, Rss rss) {
        for (long i = 0; i < n; i++) {
            int k = (int) (i % SPECS.size());
            Plan plan = engine.prepare(SPECS.get(k), SHAPES.get(k));
            plan.close();
            tick("cycles", i, n, progress, rss);
        }
    }

    private static void executes(Plan plan, Inputs in, long n, PrintStream progress, Rss rss) {
        for (long i = 0; i < n; i++) {
            switch ((int) (i % 3)) {
                case 0 -> plan.forward(in.src, in.wei, in.bia, in.dst);
                case 1 -> plan.backwardData(in.diffDst, in.wei, in.diffSrc);
                default -> plan.backwardWeights(in.src, in.diffDst, in.diffWei, in.diffBia);
            }
            if (i % 1000 == 999) {
                in.wei.set(0, in.wei.get(0) + 1e-3f);   // a new weight version: the plan reorders again
            }
            tick("executes", i, n, progress, rss);
        }
    }

    private static void tick(String what, long i, long n, PrintStream progress, Rss rss) {
        if (n >= 10 && (i + 1) % (n / 10) == 0) {
            long before = allocatedBytes();
            long kb = rss.sample();
            if (progress != null) {
                progress.printf(Locale.ROOT, "%s: %d/%d, pointers %d, RSS %d kB%n", what, i + 1, n, Pointer.totalCount(), kb);
            }
            rss.ownAllocation += allocatedBytes() - before;   // the soak's own reading and printing
        }
    }

    /** The tensors of one plan, filled with a fixed seed. */
    static final class Inputs {
        final ConvSpec spec;
        final Shape shape;
        final Tensor src;
        final Tensor wei;
        final Tensor bia;
        final Tensor dst;
        final Tensor diffDst;
        final Tensor diffSrc;
        final Tensor diffWei;
        final Tensor diffBia;

        Inputs(ConvSpec spec, Shape shape) {
            this.spec = spec;
            this.shape = shape;
            Random r = new Random(8);
            Shape out = spec.outputShape(shape);
            src = fill(Tensor.allocate(shape), r);
            wei = fill(Tensor.allocate(dev.conv4j.ConvShapes.wei(spec)), r);
            bia = spec.bias() ? fill(Tensor.allocate(dev.conv4j.ConvShapes.bia(spec)), r) : null;
            dst = Tensor.allocate(out);
            diffDst = fill(Tensor.allocate(out), r);
            diffSrc = Tensor.allocate(shape);
            diffWei = Tensor.allocate(wei.shape());
            diffBia = spec.bias() ? Tensor.allocate(bia.shape()) : null;
        }

        private static Tensor fill(Tensor t, Random r) {
            for (int i = 0; i < t.size(); i++) {
                t.set(i, (float) r.nextGaussian());
            }
            return t;
        }
    }

    /** {@code VmRSS} of {@code /proc/self/status} in kB (0 where there is no /proc), and its peak. */
    static final class Rss {
        long peak;
        long ownAllocation;

        long sample() {
            long kb = read();
            peak = Math.max(peak, kb);
            return kb;
        }

        static long read() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | RuntimeException e) {
                return 0;
            }
            return 0;
        }
    }
}
