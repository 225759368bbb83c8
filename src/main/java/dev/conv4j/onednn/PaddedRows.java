package dev.conv4j.onednn;

import java.util.Arrays;
import org.bytedeco.dnnl.memory;

/**
 * Rows a multiple of 4 KB apart, and copies whose rows are one cache line longer. Many rows
 * at that distance read or written at once fall into the same sets of the caches and evict
 * each other ({@code docs/perf-notes.md}, AMD Zen 5, oneDNN 3.11):
 * <ul>
 * <li>a reorder from a layout of 16×16 tiles (blocked in two dimensions, one of them the
 * plain tensor's innermost) into such rows goes through a padded copy ({@link
 * #intermediate}). That is a 1×1 weight gradient with 1024 or 2048 input channels: oneDNN's
 * reorder from {@code ABcd16b16a} writes each tile as 16 pieces of 16 floats one row apart. A
 * 256×1024×1×1 gradient took 0.29 ms directly and 0.06 + 0.03 ms through padded rows,
 * 512×2048×1×1 0.99 ms and 0.18 + 0.10 (medians of 201 runs); with rows 1 or 2 KB apart
 * (1024×256, 2048×512) the direct reorder was as fast or faster, and is kept. A 3×3 kernel's
 * gradient, whose innermost dimension is not tiled, takes {@link ReorderRoute}'s other
 * route;</li>
 * <li>a buffer of conv4j's own whose rows a product reads many at a time gets padded rows
 * ({@link #paddedRow}).</li>
 * </ul>
 */
final class PaddedRows {
    private PaddedRows() {}

    /** Row strides, in floats, that are multiples of this are padded: 4 KB. */
    static final long ALIASING_FLOATS = 1024;

    /** What a padded row adds, in floats: one cache line. */
    static final long PAD_FLOATS = 16;

    /**
     * The stride, in floats, of rows of {@code floats} floats in a buffer of conv4j's own that
     * a kernel reads many rows of at a time: {@link #PAD_FLOATS} more where {@code floats} is a
     * multiple of {@link #ALIASING_FLOATS}. Why: oneDNN's {@code sgemm} reads such a product's
     * rows in place unless their stride is a multiple of 1024 floats; then it first packs them
     * into buffers of its own, written on every call. A 196×1024 operand took 0.27 ms where
     * rows 16 floats longer took 0.21 ms, in the minutes when the machine stores slowly into
     * lines the other core has read (not in others; {@code docs/perf-notes.md}).
     */
    static long paddedRow(long floats) {
        return floats % ALIASING_FLOATS == 0 ? floats + PAD_FLOATS : floats;
    }

    /**
     * The layout a reorder from {@code from} into the plain {@code to} goes through, or null
     * for a direct reorder (call inside a PointerScope; {@link ReorderRoute#of} has checked
     * that both are blocked layouts and {@code to} a plain one).
     */
    static memory.desc intermediate(memory.desc from, memory.desc to) {
        int n = to.get_ndims();
        long[] dims = ReorderRoute.longs(to.get_dims(), n);
        long[] padded = paddedStrides(dims, ReorderRoute.longs(to.get_strides(), n),
                ReorderRoute.longs(from.get_inner_idxs(), from.get_inner_nblks()));
        return padded == null ? null : new memory.desc(dims, memory.data_type.f32, padded);
    }

    /**
     * The strides of the padded copy of a plain tensor of {@code dims} and {@code strides}
     * (in floats), reordered from a layout blocked in {@code blockedDims} (oneDNN's inner
     * block indices); null where the direct reorder is kept: the source is not blocked in
     * exactly two dimensions, or neither is the destination's innermost (stride 1), or the
     * other one's stride is not a multiple of {@link #ALIASING_FLOATS}. The copy keeps the
     * order of the dimensions; the rows (the other blocked dimension) grow by {@link
     * #PAD_FLOATS}, and every dimension outside them with them.
     */
    static long[] paddedStrides(long[] dims, long[] strides, long[] blockedDims) {
        long[] blocked = Arrays.stream(blockedDims).distinct().toArray();
        if (blocked.length != 2) {
            return null;
        }
        int inner = -1;
        int rows = -1;
        for (long b : blocked) {
            int d = (int) b;
            if (strides[d] == 1 && dims[d] > 1 && inner < 0) {
                inner = d;
            } else {
                rows = d;
            }
        }
        if (inner < 0 || dims[rows] < 2 || strides[rows] % ALIASING_FLOATS != 0) {
            return null;
        }
        long row = strides[rows];
        long[] out = strides.clone();
        for (int d = 0; d < dims.length; d++) {
            if (d == rows || strides[d] > row) {
                if (strides[d] % row != 0) {
                    return null;   // not a dense layout outside the rows: leave it to oneDNN
                }
                out[d] = strides[d] / row * (row + PAD_FLOATS);
            }
        }
        return out;
    }

}
