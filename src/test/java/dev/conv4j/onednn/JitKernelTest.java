package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Common shapes select oneDNN JIT kernels, never a {@code ref} one: a plain layout or a
 * wrong descriptor would silently select the reference kernels, hundreds of times slower.
 * Only prepares (no execution), so it stays cheap.
 */
class JitKernelTest {

    record Case(String name, ConvSpec spec, Shape src) {}

    static List<Case> cases() {
        return List.of(
                new Case("seed first layer 1x3x224x224 -> 64, 3x3", ConvSpec.conv2d(3, 64, 3).padding(1).build(),
                        Shape.of(1, 3, 224, 224)),
                new Case("3x3 resnet res2", ConvSpec.conv2d(64, 64, 3).padding(1).build(), Shape.of(1, 64, 56, 56)),
                new Case("1x1 resnet res2 expand", ConvSpec.conv2d(64, 256, 1).build(), Shape.of(1, 64, 56, 56)),
                new Case("3x3 strided", ConvSpec.conv2d(64, 128, 3).stride(2).padding(1).build(), Shape.of(1, 64, 56, 56)),
                new Case("1x1 strided", ConvSpec.conv2d(256, 512, 1).stride(2).bias(false).build(), Shape.of(1, 256, 28, 28)),
                new Case("depthwise 3x3 mobilenet", ConvSpec.depthwise(2, 32, 1, 3).padding(1).build(), Shape.of(1, 32, 112, 112)),
                new Case("transposed 4x4 stride 2", ConvSpec.transposed(2, 64, 32, 4).stride(2).padding(1).build(),
                        Shape.of(1, 64, 16, 16)));
    }

    @Test void commonShapes_allDirections_selectJitKernels() {
        List<String> refs = new ArrayList<>();
        int checked = 0;
        for (Case c : cases()) {
            try (Plan plan = Engines.onednn().prepare(c.spec(), c.src(), PlanOptions.DEFAULT)) {
                for (Direction dir : Direction.values()) {
                    String impl = plan.implementation(dir);
                    assertFalse(impl.isEmpty(), c.name() + " " + dir);
                    if (impl.startsWith("ref") || impl.contains(":ref")) {
                        refs.add(c.name() + " " + dir.label() + ": " + impl);
                    }
                    checked++;
                }
            }
        }
        assertEquals(List.of(), refs);
        assertEquals(cases().size() * 3, checked);
    }

    @Test void inferencePlan_seedForward_isJit() {
        Case seed = cases().get(0);
        try (Plan plan = Engines.onednn().prepare(seed.spec(), seed.src(), PlanOptions.inference())) {
            String impl = plan.implementation(Direction.FWD);
            assertFalse(impl.startsWith("ref"), impl);
        }
    }
}
