package dev.conv4j.engine;

import dev.conv4j.tensor.Layout;
import java.util.Objects;

/**
 * Options of {@link Engine#prepare}.
 *
 * @param training       whether backward passes will run (oneDNN then uses
 *                       {@code forward_training}); inference-only plans reject backward calls
 * @param layout         the layout policy of the oneDNN engine
 * @param userLayout     layout of the activation tensors the caller passes
 * @param weightsUpdated whether the weights change between calls, as an optimizer step
 *                       changes them in a training loop: {@link LayoutPolicy#AUTO} then counts
 *                       the re-layout of the weights into the time of every forward and
 *                       backward-data call; by default it leaves it out of its timings
 *                       (with fixed weights the re-layout happens once, at the first call)
 */
public record PlanOptions(boolean training, LayoutPolicy layout, Layout userLayout, boolean weightsUpdated) {

    /** Training, {@link LayoutPolicy#ANY}, channels-first tensors, weights fixed between calls. */
    public static final PlanOptions DEFAULT = new PlanOptions(true, LayoutPolicy.ANY, Layout.CHANNELS_FIRST, false);

    public PlanOptions {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(userLayout, "userLayout");
    }

    /** Options whose weights stay fixed between calls. */
    public PlanOptions(boolean training, LayoutPolicy layout, Layout userLayout) {
        this(training, layout, userLayout, false);
    }

    /** Forward only. */
    public static PlanOptions inference() {
        return DEFAULT.withTraining(false);
    }

    public PlanOptions withTraining(boolean t) { return new PlanOptions(t, layout, userLayout, weightsUpdated); }
    public PlanOptions withLayout(LayoutPolicy p) { return new PlanOptions(training, p, userLayout, weightsUpdated); }
    public PlanOptions withUserLayout(Layout l) { return new PlanOptions(training, layout, l, weightsUpdated); }
    public PlanOptions withWeightsUpdated(boolean u) { return new PlanOptions(training, layout, userLayout, u); }
}
