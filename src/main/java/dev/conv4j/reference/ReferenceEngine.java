package dev.conv4j.reference;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Shape;

/**
 * The oracle: every kind, rank, padding mode and direction computed from the defining
 * formula in plain Java loops with double accumulation. Slow by design; use it to check.
 * Plans are safe for concurrent use (they keep no mutable state between calls).
 */
public final class ReferenceEngine implements Engine {
    /** The one instance. */
    public static final ReferenceEngine INSTANCE = new ReferenceEngine();

    private ReferenceEngine() {}

    @Override public String name() { return "reference"; }

    @Override public Plan prepare(ConvSpec spec, Shape src, PlanOptions options) {
        ConvShapes.validateInput(spec, src);
        return new ReferencePlan(spec, src, options);
    }

    @Override public String toString() { return name(); }
}
