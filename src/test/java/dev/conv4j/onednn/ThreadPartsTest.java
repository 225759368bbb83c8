package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * Backward-weights of 1×1 layers in {@link ThreadParts} ({@link Candidate#GEMM_PARTS}): split
 * by input channels (more of them, or a gathered strided source), by output channels (more of
 * them, or a gradient copied into padded rows), ranks 1-3, bias on and off, mb 1 and 3 on
 * channels-last tensors and mb 1 on channels-first ones, against the reference; the blocks
 * the channels are split into; what the candidate does not take; native objects and parts
 * released with the plans. On a process of one OpenMP thread there are no parts to test.
 */
class ThreadPartsTest {
    private static final long SEED = 20261127L;

    private static void assumeParts() {
        assumeTrue(OpenMpThreads.available() && OpenMpThreads.processThreads() >= 2, "needs two or more OpenMP threads");
    }

    private static OneDnnPlan forced(ConvSpec spec, Shape src, Layout layout) {
        return new OneDnnPlan(NativeRuntime.get(), spec, src, PlanOptions.DEFAULT.withUserLayout(layout),
                Candidate.GEMM_PARTS);
    }

    private static Shape src(ConvSpec spec, int mb, int size) {
        int[] dims = new int[spec.rank() + 2];
        Arrays.fill(dims, size);
        dims[0] = mb;
        dims[1] = spec.inChannels();
        return Shape.of(dims);
    }

    @Test void forcedBackwardWeights_inParts_matchReference() {
        assumeParts();
        int threads = OpenMpThreads.processThreads();
        List<Object[]> cases = List.of(
                new Object[] {ConvSpec.conv2d(64, 48, 1).build(), "input"},
                new Object[] {ConvSpec.conv2d(64, 48, 1).bias(false).build(), "input"},
                new Object[] {ConvSpec.conv2d(40, 96, 1).build(), "output"},
                new Object[] {ConvSpec.conv1d(96, 40, 1).build(), "input"},
                new Object[] {ConvSpec.conv3d(48, 64, 1).bias(false).build(), "output"},
                // a gradient whose rows are 4 KB apart: each part copies its own channels into padded rows
                new Object[] {ConvSpec.conv2d(24, 1024, 1).build(), "output"},
                // a strided source: each part gathers its own channels
                new Object[] {ConvSpec.conv2d(64, 48, 1).stride(2).build(), "input"},
                new Object[] {ConvSpec.conv2d(40, 96, 1).stride(2).bias(false).build(), "input"},
                // few output channels: the bias sum splits into fewer parts than the product
                new Object[] {ConvSpec.conv2d(96, 16, 1).build(), "input"});
        List<String> failures = new ArrayList<>();
        int checks = 0;
        for (Object[] c : cases) {
            ConvSpec spec = (ConvSpec) c[0];
            boolean strided = spec.stride(0) != 1;
            for (Layout layout : Layout.values()) {
                if (layout == Layout.CHANNELS_FIRST && strided) {
                    continue;   // a strided source is gathered from channels-last rows only
                }
                for (int mb : layout == Layout.CHANNELS_LAST ? new int[] {1, 3} : new int[] {1}) {
                    Shape shape = src(spec, mb, 4);
                    try (OneDnnPlan plan = forced(spec, shape, layout)) {
                        assertEquals(Candidate.GEMM_PARTS, plan.candidate(Direction.BWD_W));
                        String impl = plan.implementation(Direction.BWD_W);
                        assertTrue(impl.endsWith(", in " + Math.min(threads, 3) + " thread parts by " + c[1] + " channels)")
                                || impl.contains(" thread parts by " + c[1] + " channels)"), impl);
                        Plan view = new ConvertingPlan(plan, layout == Layout.CHANNELS_LAST ? ConvertingPlan.CHANNELS_LAST
                                : t -> t, plan + " " + layout);
                        Result[] results = Parity.check(view, Direction.BWD_W, SEED + checks);
                        boolean trusted = Arrays.stream(results).anyMatch(r -> r.status() == Status.PASSED);
                        for (Result r : results) {
                            if (!trusted || r.status() == Status.FAILED) {
                                failures.add(spec + " " + shape + " " + layout + " " + impl + ": " + r.describe());
                            }
                        }
                        checks++;
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(7 * 3 + 2 * 2, checks);
    }

    @Test void blocks_areCacheLinesOfChannels() {
        assertArrayEquals(new long[] {0, 48, 96}, Matmul1x1.blocks(96, 2));
        assertArrayEquals(new long[] {0, 48, 100}, Matmul1x1.blocks(100, 2));   // 7 lines: 3 and 4
        assertArrayEquals(new long[] {0, 16, 24}, Matmul1x1.blocks(24, 2));
        assertArrayEquals(new long[] {0, 16}, Matmul1x1.blocks(16, 2));          // one line: no split
        assertArrayEquals(new long[] {0, 8}, Matmul1x1.blocks(8, 4));
        assertArrayEquals(new long[] {0, 336, 672, 1024}, Matmul1x1.blocks(1024, 3));
        for (long[] b : new long[][] {Matmul1x1.blocks(1000, 3), Matmul1x1.blocks(2048, 8), Matmul1x1.blocks(33, 2)}) {
            for (int p = 1; p < b.length; p++) {
                assertTrue(b[p] > b[p - 1], Arrays.toString(b));
                assertTrue(p == b.length - 1 || b[p] % 16 == 0, Arrays.toString(b));
            }
        }
    }

    /** Too few channels to split, a strided source with a gradient that would be copied too, or one thread: not a candidate. */
    @Test void notEverywhere() {
        assumeParts();
        Layout cl = Layout.CHANNELS_LAST;
        ConvSpec thin = ConvSpec.conv2d(8, 12, 1).build();
        assertThrows(RuntimeException.class, () -> forced(thin, src(thin, 1, 4), cl).close());
        ConvSpec both = ConvSpec.conv2d(24, 1024, 1).stride(2).build();
        assertThrows(RuntimeException.class, () -> forced(both, src(both, 1, 4), cl).close());
        ConvSpec fine = ConvSpec.conv2d(64, 48, 1).build();
        DnnlMapping m = DnnlMapping.of(fine, src(fine, 1, 4), cl);
        assertEquals(null, OpenMpThreads.on(1, () -> Matmul1x1.ops(NativeRuntime.get().engine(), m, cl, Direction.BWD_W,
                Candidate.GEMM_PARTS, 1)));
    }

    /** Forced plans prepared, run and closed: native objects and registered parts back to where they were. */
    @Test void prepareAndClose_releaseEverything() {
        assumeParts();
        ConvSpec spec = ConvSpec.conv2d(64, 48, 1).stride(2).build();
        Shape shape = src(spec, 2, 6);
        try (OneDnnPlan warm = forced(spec, shape, Layout.CHANNELS_LAST)) {
            run(warm);
        }
        long pointers = Pointer.totalCount();
        int parts = ThreadParts.live();
        for (int i = 0; i < 10; i++) {
            OneDnnPlan p = forced(spec, shape, Layout.CHANNELS_LAST);
            run(p);
            assertTrue(ThreadParts.live() > parts);
            p.close();
            p.close();   // idempotent
        }
        assertEquals(parts, ThreadParts.live(), "parts left registered");
        assertEquals(pointers, Pointer.totalCount(), "native objects leaked by prepare/close");
    }

    private static void run(OneDnnPlan p) {
        Tensor x = Tensor.allocate(p.srcShape(), Layout.CHANNELS_LAST);
        Tensor dy = Tensor.allocate(p.dstShape(), Layout.CHANNELS_LAST);
        p.backwardWeights(x, dy, Tensor.allocate(p.weiShape()), Tensor.allocate(p.biaShape()));
    }
}
