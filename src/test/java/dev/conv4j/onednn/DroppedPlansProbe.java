package dev.conv4j.onednn;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.nn.Conv2d;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;

/**
 * Run by {@code DroppedPlansTest} in a child JVM (with JavaCPP's deallocator thread running,
 * as in any program): prepares and runs oneDNN plans and layers, keeps a few reachable and
 * drops the rest without {@code close()}, and prints how many native objects the kept ones
 * hold ({@code kept=N}, what the count sees of live plans) and how many of the dropped ones
 * were left after the garbage collector ran ({@code left=N}).
 */
public final class DroppedPlansProbe {
    private DroppedPlansProbe() {}

    static final int KEPT = 3;
    static final int DROPPED = 20;

    public static void main(String[] args) throws InterruptedException {
        Engine onednn = Engines.onednn();
        use(onednn, true);   // first use of each kind may create process-wide state: not counted
        long baseline = settledCount(Long.MIN_VALUE);
        List<Object> kept = new ArrayList<>();
        for (int i = 0; i < KEPT; i++) {
            kept.addAll(use(onednn, false));
        }
        long withKept = settledCount(Long.MIN_VALUE);
        for (int i = 0; i < DROPPED; i++) {
            use(onednn, false);
        }
        System.out.println("kept=" + (withKept - baseline));
        System.out.println("left=" + (settledCount(withKept) - withKept));
        Reference.reachabilityFence(kept);
    }

    /** A plan of each of two kinds and a layer, run in every direction; closed, or returned open. */
    private static List<Object> use(Engine engine, boolean close) {
        List<Object> open = new ArrayList<>();
        for (ConvSpec spec : new ConvSpec[] {
                ConvSpec.conv2d(4, 8, 3).padding(1).paddingMode(PaddingMode.REFLECT).build(),
                ConvSpec.transposed(2, 4, 3, 3).stride(2).padding(1).outputPadding(1).build()}) {
            Plan p = engine.prepare(spec, Shape.of(2, 4, 6, 6));
            Tensor x = Tensor.allocate(p.srcShape());
            Tensor w = Tensor.allocate(p.weiShape());
            Tensor b = Tensor.allocate(ConvShapes.bia(spec));
            Tensor y = Tensor.allocate(p.dstShape());
            p.forward(x, w, b, y);
            p.backwardData(y, w, x);
            p.backwardWeights(x, y, Tensor.allocate(p.weiShape()), b);
            if (close) {
                p.close();
            }
            open.add(p);
        }
        Conv2d layer = Conv2d.builder(4, 8, 3).padding(1).engine(engine).seed(3).build();
        Tensor y = layer.forward(Tensor.allocate(Shape.of(2, 4, 6, 6)));
        layer.backward(y);
        if (close) {
            layer.close();
        }
        open.add(layer);
        return open;
    }

    /**
     * JavaCPP's count of live native objects once collections stop lowering it (with
     * {@code floor} {@code Long.MIN_VALUE}), or once it is down to {@code floor}: at most about
     * 10 s of {@code System.gc()}.
     */
    private static long settledCount(long floor) throws InterruptedException {
        long count = Pointer.totalCount();
        for (int i = 0; i < 200 && count > floor; i++) {
            System.gc();
            Thread.sleep(50);
            long now = Pointer.totalCount();
            if (floor == Long.MIN_VALUE && now == count && i >= 5) {
                break;
            }
            count = now;
        }
        return count;
    }
}
