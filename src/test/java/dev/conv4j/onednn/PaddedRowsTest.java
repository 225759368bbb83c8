package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.conv4j.ConvSpec;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Output reorders through a copy with padded rows ({@link PaddedRows}): the rule on the
 * numbers (no native code), and weight gradients that take that route still equal the
 * reference's, on whole minibatches and in slices, grouped and transposed.
 */
class PaddedRowsTest {

    @Test void aOneByOneGradientWithRows4KbApart_isPadded() {
        // [OC=256, IC=1024, 1, 1] from ABcd16b16a (inner blocks on IC, then OC)
        assertArrayEquals(new long[] {1040, 1, 1, 1},
                PaddedRows.paddedStrides(new long[] {256, 1024, 1, 1}, new long[] {1024, 1, 1, 1}, new long[] {1, 0}));
        assertArrayEquals(new long[] {2064, 1, 1},
                PaddedRows.paddedStrides(new long[] {512, 2048, 1}, new long[] {2048, 1, 1}, new long[] {1, 0}));
    }

    @Test void groupsOutsideTheRows_growWithThem() {
        // [G=2, OC=32, IC=1024, 1, 1]: the group stride is 32 rows, each 16 floats longer
        assertArrayEquals(new long[] {32 * 1040, 1040, 1, 1, 1},
                PaddedRows.paddedStrides(new long[] {2, 32, 1024, 1, 1}, new long[] {32 * 1024, 1024, 1, 1, 1},
                        new long[] {2, 1}));
    }

    @Test void transposedWeightsWithTheirOwnOrder_arePaddedOnTheirRows() {
        // a deconvolution's [OC=16, IC=1024, 1, 1] in PyTorch's IOHW order: IC is the outer dimension
        assertArrayEquals(new long[] {1, 1040, 1, 1},
                PaddedRows.paddedStrides(new long[] {1024, 16, 1, 1}, new long[] {1, 1024, 1, 1}, new long[] {0, 1}));
    }

    @Test void otherShapes_keepTheDirectReorder() {
        // rows 1 KB and 2 KB apart: no aliasing measured
        assertNull(PaddedRows.paddedStrides(new long[] {1024, 256, 1, 1}, new long[] {256, 1, 1, 1}, new long[] {1, 0}));
        assertNull(PaddedRows.paddedStrides(new long[] {2048, 512, 1, 1}, new long[] {512, 1, 1, 1}, new long[] {1, 0}));
        // a 3×3 kernel: the blocked input channels are not the innermost dimension
        assertNull(PaddedRows.paddedStrides(new long[] {256, 1024, 3, 3}, new long[] {9216, 9, 3, 1}, new long[] {1, 0}));
        // blocked in one dimension only (an activation's nChw16c), or not at all
        assertNull(PaddedRows.paddedStrides(new long[] {1, 1024, 4, 4}, new long[] {16384, 16, 4, 1}, new long[] {1}));
        assertNull(PaddedRows.paddedStrides(new long[] {256, 1024, 1, 1}, new long[] {1024, 1, 1, 1}, new long[0]));
        // a single row
        assertNull(PaddedRows.paddedStrides(new long[] {1, 1024, 1, 1}, new long[] {1024, 1, 1, 1}, new long[] {1, 0}));
    }

    @AfterEach void forget() {
        LayoutChoice.clear();
    }

    /** Layers whose weight gradient oneDNN computes in 16×16 tiles, with rows 4 KB apart. */
    private static final List<ConvSpec> SPECS = List.of(
            ConvSpec.conv2d(1024, 32, 1).build(),
            ConvSpec.conv2d(2048, 16, 1).bias(false).build(),
            ConvSpec.conv2d(2048, 64, 1).groups(2).build(),
            ConvSpec.conv1d(1024, 32, 1).build(),
            ConvSpec.transposed(2, 32, 1024, 1).build());

    @Test void gradientsThroughPaddedRows_matchTheReference() {
        List<String> failures = new ArrayList<>();
        int padded = 0;
        long seed = 20261126L;
        for (ConvSpec spec : SPECS) {
            int inChannels = spec.inChannels();
            Shape src = spec.rank() == 1 ? Shape.of(2, inChannels, 5) : Shape.of(2, inChannels, 3, 4);
            for (int images : new int[] {0, 1}) {   // whole minibatch, and slices of one image
                if (images > 0 && spec.transposed()) {
                    continue;   // transposed convolutions are never sliced
                }
                List<String> routes = GradientRoutes.checked(spec, src, images, seed, failures);
                seed += 2;
                padded += Collections.frequency(routes, "to padded rows");
            }
        }
        assertEquals(List.of(), failures);
        // every plan's gradient went through padded rows: once per plan, twice in slices (first and later slices)
        assertEquals(5 + 2 * 4, padded, "reorders built through padded rows");
    }
}
