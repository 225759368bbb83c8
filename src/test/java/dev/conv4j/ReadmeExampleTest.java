package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The README's example, statement for statement, with its results checked. */
class ReadmeExampleTest {

    @Test
    void conv2d3To64Padding1() {
        // ---- README: Example (keep in step) ----
        ConvSpec spec = ConvSpec.conv2d(3, 64, 3).padding(1).build();
        try (Plan plan = Engines.onednn().prepare(spec, Shape.of(1, 3, 224, 224))) {
            Tensor x = Tensor.allocate(plan.srcShape());   // [1, 3, 224, 224]
            Tensor w = Tensor.allocate(plan.weiShape());   // [64, 3, 3, 3]
            Tensor b = Tensor.allocate(plan.biaShape());   // [64]
            Tensor y = Tensor.allocate(plan.dstShape());   // [1, 64, 224, 224]
            x.fill(1f);
            w.fill(0.5f);
            b.fill(0.25f);
            plan.forward(x, w, b, y);                      // y = conv(x, w) + b
            // ---- end of the README's code ----

            assertEquals(Shape.of(64, 3, 3, 3), w.shape());
            assertEquals(Shape.of(1, 64, 224, 224), y.shape());
            // Each output sums 0.5 over the taps inside the image (3 channels × 3×3, fewer at
            // the border, where padding reads zeros), plus 0.25.
            for (int o : new int[] {0, 63}) {
                assertEquals(27 * 0.5f + 0.25f, y.at(0, o, 100, 37));
                assertEquals(12 * 0.5f + 0.25f, y.at(0, o, 0, 0));
                assertEquals(18 * 0.5f + 0.25f, y.at(0, o, 223, 5));
                assertEquals(12 * 0.5f + 0.25f, y.at(0, o, 223, 223));
            }
        }
    }
}
