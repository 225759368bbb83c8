package dev.conv4j.onednn;

import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;

/**
 * One native call of a {@link Pass}: a primitive ({@link PrimitiveStep}: a convolution, a
 * matmul, a reorder) or a oneDNN {@code sgemm} ({@link GemmStep}). Every argument is bound at
 * prepare time; a call allocates nothing on the Java heap.
 */
interface Step {
    /** Runs the call on {@code stream} (the pass waits for the stream after its last step); a failure names {@code problem}. */
    void run(dnnl_stream stream, String problem);

    // A step without a scratchpad (a Java gather, an sgemm call) keeps these defaults.

    /** Bytes of the user-mode scratchpad it needs, 0 for none. */
    default long scratchpadBytes() {
        return 0;
    }

    /** Points its scratchpad at {@code buffer} of at least {@link #scratchpadBytes}; prepare time only. */
    default void useScratchpad(Pointer buffer, String problem) {}

    /** The address its scratchpad points at, 0 without one (tests). */
    default long scratchpadAddress() {
        return 0;
    }
}
