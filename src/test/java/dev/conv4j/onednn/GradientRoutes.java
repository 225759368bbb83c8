package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.List;

/** The check {@link PaddedRowsTest} and {@link ReorderRouteTest} share: a weight gradient's route and its values. */
final class GradientRoutes {
    private GradientRoutes() {}

    /**
     * Prepares {@code spec} on {@code src} under {@code ANY}, on the whole minibatch ({@code
     * sliceImages} 0) or in slices of {@code sliceImages} images, runs backward-weights twice
     * against the reference (seeds {@code seed} and {@code seed + 1}), adds what failed to
     * {@code failures}, and returns the routes of the pass's two-step output reorders ({@link
     * Pass#twoStepReorders}).
     */
    static List<String> checked(ConvSpec spec, Shape src, int sliceImages, long seed, List<String> failures) {
        LayoutChoice.clear();
        PlanOptions options = PlanOptions.DEFAULT.withLayout(LayoutPolicy.ANY);
        if (sliceImages > 0) {
            for (Direction d : Direction.values()) {
                LayoutChoice.remember(new LayoutChoice.Key(spec, src, d, Layout.CHANNELS_FIRST, true, false),
                        new LayoutChoice.Choice(Candidate.ANY, 0, 0, sliceImages));
            }
            options = options.withLayout(LayoutPolicy.AUTO);
        }
        String what = spec + " on " + src + (sliceImages > 0 ? " in slices of " + sliceImages : "");
        try (OneDnnPlan plan = (OneDnnPlan) Engines.onednn().prepare(spec, src, options)) {
            for (int run = 0; run < 2; run++) {
                for (Result r : Parity.check(plan, Direction.BWD_W, seed + run)) {
                    if (r.status() != Status.PASSED) {
                        failures.add(what + ", run " + run + ": " + r.describe());
                    }
                }
            }
            return List.copyOf(plan.pass(Direction.BWD_W).twoStepReorders);
        }
    }
}
