package dev.conv4j.engine;

import dev.conv4j.tensor.Layout;
import java.util.Objects;

/**
 * Options of {@link Engine#prepare}.
 *
 * @param training   whether backward passes will run (oneDNN then uses
 *                   {@code forward_training}); inference-only plans reject backward calls
 * @param layout     the layout policy of the oneDNN engine
 * @param userLayout layout of the activation tensors the caller passes
 */
public record PlanOptions(boolean training, LayoutPolicy layout, Layout userLayout) {

    /** Training, {@link LayoutPolicy#ANY}, channels-first tensors. */
    public static final PlanOptions DEFAULT = new PlanOptions(true, LayoutPolicy.ANY, Layout.CHANNELS_FIRST);

    public PlanOptions {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(userLayout, "userLayout");
    }

    /** Forward only. */
    public static PlanOptions inference() {
        return DEFAULT.withTraining(false);
    }

    public PlanOptions withTraining(boolean t) { return new PlanOptions(t, layout, userLayout); }
    public PlanOptions withLayout(LayoutPolicy p) { return new PlanOptions(training, p, userLayout); }
    public PlanOptions withUserLayout(Layout l) { return new PlanOptions(training, layout, l); }
}
