package dev.conv4j.reference;

import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The table of small convolutions the gradient and adjoint tests sweep: every kind
 * (standard, grouped, depthwise, transposed, transposed grouped/depthwise), every padding
 * mode, strides, dilations, asymmetric, {@code same} and {@code valid} padding, with and
 * without bias, channels-first and channels-last user tensors, for spatial ranks 1, 2 and 3.
 */
final class ConvCases {
    private ConvCases() {}

    /** One row: a name (its display name), a spec, an input shape and the user layout. */
    record Case(String name, ConvSpec spec, Shape src, Layout layout) {
        Plan prepare() {
            return Engines.reference().prepare(spec, src, PlanOptions.DEFAULT.withUserLayout(layout));
        }

        @Override public String toString() {
            return name + " " + src + (layout == Layout.CHANNELS_LAST ? " channels-last" : "");
        }
    }

    /** Rows per rank; {@link #all} has three times as many. */
    static final int PER_RANK = 25;

    /** Every row, ranks 1 to 3. */
    static List<Case> all() {
        List<Case> out = new ArrayList<>();
        for (int rank = 1; rank <= 3; rank++) {
            out.addAll(forRank(rank));
        }
        return out;
    }

    /** The transposed rows only. */
    static List<Case> transposed() {
        return all().stream().filter(c -> c.spec().transposed()).toList();
    }

    static List<Case> forRank(int r) {
        // Per-dimension values are written for 3-D and trimmed to the rank from the right
        // (so a 1-D case takes the last value, the width).
        int[] small = pick(r, 3, 4, 5);
        int[] medium = pick(r, 4, 5, 6);
        List<Case> cs = new ArrayList<>();

        add(cs, r, "standard k3 pad1 mb2", ConvSpec.builder(r, 2, 3, 3).padding(1), shape(2, 2, small));
        add(cs, r, "standard k2 valid no-bias", ConvSpec.builder(r, 2, 3, 2).padding("valid").bias(false), shape(1, 2, small));
        add(cs, r, "strided dilated asymmetric", ConvSpec.builder(r, 2, 2, 3).stride(pick(r, 2, 1, 2))
                .dilation(pick(r, 1, 2, 2)).padding(pick(r, 1, 0, 1), pick(r, 2, 1, 2)), shape(1, 2, medium));
        add(cs, r, "same even kernel", ConvSpec.builder(r, 2, 2, pick(r, 2, 4, 2)).padding("same"), shape(1, 2, small));
        add(cs, r, "same stride2 (Keras)", ConvSpec.builder(r, 1, 2, 3).stride(2).padding("same"), shape(1, 1, medium));
        add(cs, r, "grouped g2 stride2", ConvSpec.builder(r, 4, 6, 3).groups(2).stride(2).padding(1), shape(1, 4, medium));
        add(cs, r, "depthwise x2 dilation2", ConvSpec.depthwise(r, 3, 2, 3).padding(2).dilation(2), shape(1, 3, small));
        add(cs, r, "depthwise x1 stride2", ConvSpec.depthwise(r, 2, 1, 2).stride(2).bias(false), shape(2, 2, small));
        for (PaddingMode m : new PaddingMode[] {PaddingMode.REFLECT, PaddingMode.REPLICATE, PaddingMode.CIRCULAR}) {
            String name = m.name().toLowerCase(java.util.Locale.ROOT);
            add(cs, r, name + " asymmetric", ConvSpec.builder(r, 2, 2, 3).paddingMode(m)
                    .padding(pick(r, 2, 1, 1), pick(r, 1, 2, 2)), shape(1, 2, small));
            add(cs, r, name + " stride2 dilation2 grouped", ConvSpec.builder(r, 2, 4, 2).groups(2).paddingMode(m)
                    .stride(2).dilation(2).padding(pick(r, 1, 2, 2)), shape(1, 2, medium));
        }
        add(cs, r, "reflect same even kernel", ConvSpec.builder(r, 1, 2, 4).paddingMode(PaddingMode.REFLECT)
                .padding("same"), shape(1, 1, medium));
        add(cs, r, "circular depthwise same stride2", ConvSpec.depthwise(r, 2, 2, 3).paddingMode(PaddingMode.CIRCULAR)
                .stride(2).padding("same"), shape(1, 2, small));
        add(cs, r, "transposed k3 s2 p1 op1", ConvSpec.transposed(r, 3, 2, 3).stride(2).padding(1).outputPadding(1),
                shape(1, 3, pick(r, 2, 3, 3)));
        add(cs, r, "transposed grouped dilation2", ConvSpec.transposed(r, 4, 2, 2).groups(2).dilation(2),
                shape(2, 4, pick(r, 2, 3, 3)));
        add(cs, r, "transposed depthwise asymmetric", ConvSpec.transposed(r, 2, 4, 3).groups(2).stride(pick(r, 1, 2, 2))
                .padding(pick(r, 0, 1, 1), pick(r, 1, 0, 2)).bias(false), shape(1, 2, pick(r, 2, 3, 3)));
        add(cs, r, "transposed same k3 s2 (Keras)", ConvSpec.transposed(r, 2, 2, 3).stride(2).padding("same"),
                shape(1, 2, pick(r, 2, 2, 3)));
        add(cs, r, "transposed same k2 s3 (grows)", ConvSpec.transposed(r, 1, 2, 2).stride(3).padding("same"),
                shape(1, 1, pick(r, 1, 2, 2)));
        add(cs, r, "transposed op<dilation", ConvSpec.transposed(r, 2, 2, 2).stride(1).dilation(3).outputPadding(2),
                shape(1, 2, pick(r, 2, 2, 3)));
        // The same problems with channels-last user tensors.
        addLast(cs, r, "standard stride2 pad1", ConvSpec.builder(r, 3, 2, 3).stride(2).padding(1), shape(2, 3, medium));
        addLast(cs, r, "replicate", ConvSpec.builder(r, 2, 2, 3).paddingMode(PaddingMode.REPLICATE).padding(2), shape(1, 2, small));
        addLast(cs, r, "transposed s2 op1", ConvSpec.transposed(r, 2, 3, 2).stride(2).outputPadding(1), shape(1, 2, pick(r, 2, 2, 3)));
        if (cs.size() != PER_RANK) {
            throw new AssertionError("ConvCases.PER_RANK is " + PER_RANK + " but rank " + r + " has " + cs.size() + " rows");
        }
        return cs;
    }

    private static void add(List<Case> cs, int r, String name, ConvSpec.Builder b, Shape src) {
        cs.add(new Case(r + "d " + name, b.build(), src, Layout.CHANNELS_FIRST));
    }

    private static void addLast(List<Case> cs, int r, String name, ConvSpec.Builder b, Shape src) {
        cs.add(new Case(r + "d " + name, b.build(), src, Layout.CHANNELS_LAST));
    }

    /** The last {@code rank} of the three per-dimension values (depth, height, width). */
    static int[] pick(int rank, int d, int h, int w) {
        return Arrays.copyOfRange(new int[] {d, h, w}, 3 - rank, 3);
    }

    static Shape shape(int n, int c, int[] spatial) {
        int[] dims = new int[2 + spatial.length];
        dims[0] = n;
        dims[1] = c;
        System.arraycopy(spatial, 0, dims, 2, spatial.length);
        return Shape.of(dims);
    }
}
