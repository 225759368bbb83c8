package dev.conv4j.engine;

import dev.conv4j.ConvSpec;
import dev.conv4j.NativeBackendException;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@code EnginesFallbackTest} in a child JVM: prints the engines {@link Engines#best()}
 * returned to 8 threads calling it first at once and once more after (one name when they
 * agree), a tiny forward on it, then what {@link Engines#onednn()} does.
 */
public final class FallbackProbe {
    private FallbackProbe() {}

    public static void main(String[] args) throws Exception {
        // First use from several threads at once: one load, one answer, at most one warning.
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        Set<String> names = ConcurrentHashMap.newKeySet();
        List<Future<?>> calls = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            calls.add(pool.submit(() -> {
                start.await(60, TimeUnit.SECONDS);
                names.add(Engines.best().name());
                return null;
            }));
        }
        for (Future<?> f : calls) {
            f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        Engine best = Engines.best();
        names.add(best.name());
        System.out.println("best=" + String.join(",", new TreeSet<>(names)));
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
