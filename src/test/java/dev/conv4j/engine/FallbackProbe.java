package dev.conv4j.engine;

import dev.conv4j.ConvSpec;
import dev.conv4j.NativeBackendException;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;

/**
 * Run by {@code EnginesFallbackTest} in a child JVM: prints the engine {@link Engines#best()}
 * returns and a tiny forward on it, then what {@link Engines#onednn()} does.
 */
public final class FallbackProbe {
    private FallbackProbe() {}

    public static void main(String[] args) {
        Engine best = Engines.best();
        System.out.println("best=" + best.name());
        try (Plan plan = best.prepare(ConvSpec.conv1d(1, 1, 2).build(), Shape.of(1, 1, 3))) {
            Tensor dst = Tensor.allocate(plan.dstShape());
            plan.forward(Tensor.of(Shape.of(1, 1, 3), 1, 2, 3), Tensor.of(Shape.of(1, 1, 2), 10, 1),
                    Tensor.of(Shape.of(1), 0.5f), dst);
            System.out.println("dst=" + dst.get(0) + "," + dst.get(1));
        }
        try {
            Engines.onednn();
            System.out.println("onednn=loaded");
        } catch (NativeBackendException e) {
            System.out.println("onednn=" + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
