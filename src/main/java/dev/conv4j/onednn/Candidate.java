package dev.conv4j.onednn;

import dev.conv4j.engine.LayoutPolicy;

/**
 * What a pass computes with: a convolution primitive under a fixed {@link LayoutPolicy}, or,
 * for a 1×1 unpadded convolution (stride 1, or a gathered stride for channels-last
 * forward and backward-weights), a oneDNN {@code matmul} on the user's own tensors
 * ({@link Matmul1x1}), with the weights read in place or packed by oneDNN, or for
 * backward-weights the same product on oneDNN's {@code sgemm}; for backward-weights of a
 * larger kernel, an {@code sgemm} on the source's columns ({@link Im2col}). {@link
 * LayoutPolicy#AUTO} times the candidates and remembers the winner in {@link LayoutChoice}.
 */
enum Candidate {
    ANY(LayoutPolicy.ANY),
    CHANNELS_LAST(LayoutPolicy.CHANNELS_LAST),
    CHANNELS_FIRST(LayoutPolicy.CHANNELS_FIRST),
    /** Matmul with the weights read in place through a strided view: no reorder at all. */
    MATMUL(null),
    /** Matmul with the weights in oneDNN's layout ({@code any}), reordered once per weight version. */
    MATMUL_PACKED(null),
    /**
     * Backward-weights as the transposed product {@code diff_weiᵀ = srcᵀ · diff_dst} into a
     * buffer of the pass, reordered into diff_wei after (oneDNN's kernels read the operands
     * differently); the other directions are {@link #MATMUL}.
     */
    MATMUL_TRANSPOSED(null),
    /**
     * Backward-weights as {@link #MATMUL}'s product on oneDNN's {@code sgemm} instead of its
     * matmul primitive ({@link GemmStep}); the other directions are {@link #MATMUL}.
     */
    GEMM(null),
    /** Backward-weights as {@link #MATMUL_TRANSPOSED}'s product on {@code sgemm}; the other directions are {@link #MATMUL}. */
    GEMM_TRANSPOSED(null),
    /**
     * Backward-weights as {@link #GEMM}'s product, with the channels-last source (at stride 1;
     * a strided one is gathered so anyway) and gradient first copied into buffers whose rows are
     * padded ({@link PaddedRows#paddedRow}), each where its channels put its rows a multiple of
     * 4 KB apart; the other directions are {@link #MATMUL}.
     */
    GEMM_PADDED(null),
    /**
     * Backward-weights of a layer larger than 1×1 as one {@code sgemm} product of the gradient
     * and the source's columns ({@link Im2col}), which oneDNN's reorders build first; it writes
     * the weight gradient in PyTorch's layout. No other direction has it.
     */
    GEMM_IM2COL(null),
    /**
     * Backward-weights as {@link #GEMM}'s product in {@link ThreadParts}, one per OpenMP thread,
     * each computing a block of diff_wei from its own copies ({@link
     * Matmul1x1#backwardWeightsInParts}); the gradient in padded rows where {@link
     * #GEMM_PADDED} would copy it. Only on two or more threads; the other directions are {@link
     * #MATMUL}. {@code AUTO} does not time it: a race won by {@link #GEMM} or {@link #GEMM_PADDED}
     * runs so ({@code PassBuilder.inThreadParts}).
     */
    GEMM_PARTS(null);

    /** The convolution's layout policy; {@code null} for the matmul candidates. */
    final LayoutPolicy layout;

    Candidate(LayoutPolicy layout) {
        this.layout = layout;
    }

    boolean matmul() {
        return layout == null;
    }

    /** The convolution candidate of a fixed policy. */
    static Candidate of(LayoutPolicy policy) {
        return switch (policy) {
            case ANY -> ANY;
            case CHANNELS_LAST -> CHANNELS_LAST;
            case CHANNELS_FIRST -> CHANNELS_FIRST;
            case AUTO -> throw new IllegalArgumentException("layout: AUTO is not one candidate");
        };
    }
}
