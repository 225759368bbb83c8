package dev.conv4j.onednn;

import java.util.Arrays;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.LongPointer;

/**
 * The way an output goes from the layout a primitive wrote it in to the caller's plain layout:
 * one oneDNN reorder, or two through an intermediate layout where that is faster. The plan's
 * passes and {@link OneDnnBaseline}'s user outputs both go this way, so that both do the same
 * oneDNN work. Two intermediates (measured on AMD Zen 5, oneDNN 3.11, {@code
 * docs/perf-notes.md}):
 * <ul>
 * <li>From a layout of 2-D tiles (blocked in two dimensions, such as a weight gradient in
 * {@code ABcd16b16a}) into a plain layout whose innermost dimension is not tiled (a 3×3
 * kernel's {@code oihw}): through the tiles' innermost block alone, the plain layout's order
 * kept ({@code Abcd16a}), where oneDNN has a tag for that layout (a deconvolution's gradient
 * into PyTorch's {@code IOHW} would need {@code Bacd16b}, which it has not: one reorder). oneDNN's one reorder transposes each tile into pieces of a few floats
 * strided far apart; the first of two moves whole blocks of 16 floats, the second transposes
 * 16 rows into long runs. A 256×256×3×3 gradient took 0.122 ms directly and 0.026 + 0.027
 * through {@code Abcd16a}; 512×512×3×3 0.457 and 0.083 + 0.089; 256×256×9 (1-D), 128×128×3×3×3
 * and grouped 4×64×64×3×3 gained alike.</li>
 * <li>Rows a multiple of 4 KB apart: through padded rows ({@link PaddedRows#intermediate}).</li>
 * </ul>
 *
 * @param md    the intermediate layout, or null for one direct reorder
 * @param label what the first reorder writes, for step names ("" when direct)
 */
record ReorderRoute(memory.desc md, String label) {
    private static final ReorderRoute DIRECT = new ReorderRoute(null, "");

    boolean direct() {
        return md == null;
    }

    /** The route from {@code from} into the plain {@code to} (call inside a PointerScope). */
    static ReorderRoute of(memory.desc from, memory.desc to) {
        if (!blocked(from) || !blocked(to) || to.get_inner_nblks() != 0) {
            return DIRECT;
        }
        int n = to.get_ndims();
        long[] dims = longs(to.get_dims(), n);
        long[] strides = longs(to.get_strides(), n);
        int blocks = from.get_inner_nblks();
        String tag = outerBlockTag(dims, strides, longs(from.get_inner_idxs(), blocks), longs(from.get_inner_blks(), blocks));
        if (tag != null) {
            memory.format_tag t = formatTag(tag);
            if (t != null) {
                return new ReorderRoute(new memory.desc(dims, memory.data_type.f32, t), "through " + tag);
            }
        }
        memory.desc padded = PaddedRows.intermediate(from, to);
        return padded == null ? DIRECT : new ReorderRoute(padded, "to padded rows");
    }

    /**
     * The oneDNN format tag of the intermediate through a layout's innermost block, for a plain
     * destination of {@code dims} and {@code strides} from a source blocked in dimensions
     * {@code blockedDims} by {@code blockSizes} (oneDNN's inner blocks, outermost first); null
     * where the direct reorder is kept: the source is not tiled in exactly two dimensions, or
     * the destination's innermost dimension (stride 1, more than one element) is one of them.
     * The tag orders the dimensions as the destination does and blocks the innermost one's:
     * {@code oihw} from {@code ABcd16b16a} goes through {@code Abcd16a}.
     */
    static String outerBlockTag(long[] dims, long[] strides, long[] blockedDims, long[] blockSizes) {
        if (Arrays.stream(blockedDims).distinct().count() != 2) {
            return null;
        }
        Integer[] order = new Integer[dims.length];
        for (int d = 0; d < dims.length; d++) {
            order[d] = d;
        }
        // Outermost first; a tie (dimensions of one element) keeps the dimensions' order.
        Arrays.sort(order, (x, y) -> Long.compare(strides[y], strides[x]));
        int innermost = -1;
        for (int d = dims.length - 1; d >= 0 && innermost < 0; d--) {
            if (dims[order[d]] > 1 && strides[order[d]] == 1) {
                innermost = order[d];
            }
        }
        for (long b : blockedDims) {
            if (b == innermost) {
                return null;
            }
        }
        int last = blockedDims.length - 1;
        int blockedDim = (int) blockedDims[last];
        StringBuilder tag = new StringBuilder();
        for (int d : order) {
            char letter = (char) ('a' + d);
            tag.append(d == blockedDim ? Character.toUpperCase(letter) : letter);
        }
        return tag.append(blockSizes[last]).append((char) ('a' + blockedDim)).toString();
    }

    /** The oneDNN tag of that name, or null where oneDNN names no such layout. */
    private static memory.format_tag formatTag(String name) {
        try {
            return memory.format_tag.valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A strided or blocked layout (not {@code any}, not sparse); compared by value: JavaCPP returns its own enum constant. */
    static boolean blocked(memory.desc md) {
        return md.get_format_kind().value == memory.format_kind.blocked.value;
    }

    static long[] longs(LongPointer p, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = p.get(i);
        }
        return out;
    }
}
