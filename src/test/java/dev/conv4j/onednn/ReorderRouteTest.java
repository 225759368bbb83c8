package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.conv4j.ConvSpec;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Output reorders in two steps through the innermost block of a tiled layout ({@link
 * ReorderRoute}): the rule on the numbers (no native code), and weight gradients that take
 * that route still equal the reference's, on whole minibatches and in slices, for every rank
 * and grouped.
 */
class ReorderRouteTest {

    @Test void aTiledKernelGradientIntoOihw_goesThroughItsOutputChannelBlocks() {
        // [OC=256, IC=256, 3, 3] oihw from ABcd16b16a (inner blocks on IC, then OC)
        assertEquals("Abcd16a", ReorderRoute.outerBlockTag(new long[] {256, 256, 3, 3}, new long[] {2304, 9, 3, 1},
                new long[] {1, 0}, new long[] {16, 16}));
        assertEquals("Abc16a", ReorderRoute.outerBlockTag(new long[] {256, 256, 9}, new long[] {2304, 9, 1},
                new long[] {1, 0}, new long[] {16, 16}));
        assertEquals("Abcde16a", ReorderRoute.outerBlockTag(new long[] {128, 128, 3, 3, 3},
                new long[] {3456, 27, 9, 3, 1}, new long[] {1, 0}, new long[] {16, 16}));
    }

    @Test void groupedWeights_keepTheGroupOutermost() {
        // [G=4, OC=64, IC=64, 3, 3] from aBCde16c16b
        assertEquals("aBcde16b", ReorderRoute.outerBlockTag(new long[] {4, 64, 64, 3, 3},
                new long[] {36864, 576, 9, 3, 1}, new long[] {2, 1}, new long[] {16, 16}));
    }

    @Test void thePlainLayoutsOrder_isKept() {
        // a deconvolution's [OC=64, IC=32, 3, 3] in PyTorch's IOHW order, from tiles innermost on OC
        assertEquals("bAcd16a", ReorderRoute.outerBlockTag(new long[] {64, 32, 3, 3}, new long[] {9, 576, 3, 1},
                new long[] {1, 0}, new long[] {16, 16}));
    }

    @Test void otherLayouts_keepTheDirectReorder() {
        // ohwi: the innermost dimension, IC, is tiled
        assertNull(ReorderRoute.outerBlockTag(new long[] {256, 256, 3, 3}, new long[] {2304, 1, 768, 256},
                new long[] {1, 0}, new long[] {16, 16}));
        // a 1×1 kernel: IC innermost and tiled
        assertNull(ReorderRoute.outerBlockTag(new long[] {256, 1024, 1, 1}, new long[] {1024, 1, 1, 1},
                new long[] {1, 0}, new long[] {16, 16}));
        // blocked in one dimension only (forward's Acdb32a, an activation's nChw16c), or not at all
        assertNull(ReorderRoute.outerBlockTag(new long[] {256, 256, 3, 3}, new long[] {2304, 9, 3, 1},
                new long[] {0}, new long[] {32}));
        assertNull(ReorderRoute.outerBlockTag(new long[] {256, 256, 3, 3}, new long[] {2304, 9, 3, 1},
                new long[0], new long[0]));
    }

    @AfterEach void forget() {
        LayoutChoice.clear();
    }

    /**
     * Layers whose weight gradient oneDNN computes in 16×16 tiles, with a kernel of more than
     * one tap; and the route each takes ("" for the direct reorder).
     */
    private static final List<Map.Entry<ConvSpec, String>> SPECS = List.of(
            Map.entry(ConvSpec.conv2d(32, 48, 3).padding(1).build(), "through Abcd16a"),
            Map.entry(ConvSpec.conv2d(32, 32, 3).bias(false).build(), "through Abcd16a"),
            Map.entry(ConvSpec.conv1d(32, 32, 3).build(), "through Abc16a"),
            Map.entry(ConvSpec.conv3d(16, 32, 3).padding(1).build(), "through Abcde16a"),
            Map.entry(ConvSpec.conv2d(64, 64, 3).groups(2).build(), "through aBcde16b"),
            // a deconvolution's gradient in BAcd16a16b into PyTorch's IOHW would go through
            // Bacd16b, a layout oneDNN has no tag for: one direct reorder
            Map.entry(ConvSpec.transposed(2, 32, 48, 3).build(), ""));

    @Test void gradientsThroughTheOuterBlock_matchTheReference() {
        List<String> failures = new ArrayList<>();
        long seed = 20261127L;
        for (Map.Entry<ConvSpec, String> e : SPECS) {
            ConvSpec spec = e.getKey();
            int c = spec.inChannels();
            Shape src = switch (spec.rank()) {
                case 1 -> Shape.of(2, c, 9);
                case 2 -> Shape.of(2, c, 6, 7);
                default -> Shape.of(2, c, 4, 5, 4);
            };
            for (int images : new int[] {0, 1}) {   // whole minibatch, and slices of one image
                if (images > 0 && spec.transposed()) {
                    continue;   // transposed convolutions are never sliced
                }
                List<String> routes = GradientRoutes.checked(spec, src, images, seed, failures);
                seed += 2;
                // in slices, the first slice's reorder and the later ones' (added in) both take the route
                List<String> expected = e.getValue().isEmpty() ? List.of()
                        : images > 0 ? List.of(e.getValue(), e.getValue()) : List.of(e.getValue());
                if (!expected.equals(routes)) {
                    failures.add(spec + " on " + src + (images > 0 ? " in slices of " + images : "") + ": routes " + routes);
                }
            }
        }
        assertEquals(List.of(), failures);
    }
}
