package dev.conv4j.bench;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.tensor.Shape;

/**
 * The same convolution called on the backend directly, without conv4j's facade: what
 * {@code conv4j bench --baseline} compares a plan with. Created per (problem, direction),
 * run many times, closed once. Like a plan, one run at a time: a run while another thread's
 * is in flight, or after close, is an {@link IllegalStateException}, and a close waits for a
 * run in flight.
 */
public interface RawBaseline extends AutoCloseable {

    /** One call of the primitive, waiting for it to finish. */
    void run();

    /** The kernel the primitive runs (e.g. {@code brg_conv_fwd:avx2}). */
    String implementation();

    @Override
    void close();

    /** Creates baselines. */
    @FunctionalInterface
    interface Factory {
        /**
         * Builds the raw primitive for one direction of {@code spec} on input {@code src}.
         *
         * @param training whether the forward primitive is built for training (as the plan is)
         * @throws IllegalArgumentException if the backend has no direct equivalent of {@code spec}
         */
        RawBaseline create(ConvSpec spec, Shape src, Direction dir, boolean training);
    }
}
