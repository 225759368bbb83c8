package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import org.junit.jupiter.api.Test;

/** The descriptor -> oneDNN table, row by row; no native code is loaded here. */
class DnnlMappingTest {

    private static DnnlMapping map(ConvSpec spec, Shape src) {
        return DnnlMapping.of(spec, src, Layout.CHANNELS_FIRST);
    }

    @Test void standard2d_dimsAndPlainTags() {
        DnnlMapping m = map(ConvSpec.conv2d(3, 64, 3).padding(1).build(), Shape.of(1, 3, 224, 224));
        assertFalse(m.deconvolution());
        assertArrayEquals(new long[] {1, 3, 224, 224}, m.srcDims());
        assertArrayEquals(new long[] {64, 3, 3, 3}, m.weiDims());
        assertArrayEquals(new long[] {64}, m.biaDims());
        assertArrayEquals(new long[] {1, 64, 224, 224}, m.dstDims());
        assertArrayEquals(new long[] {1, 1}, m.strides());
        assertArrayEquals(new long[] {0, 0}, m.dilates());
        assertArrayEquals(new long[] {1, 1}, m.padL());
        assertArrayEquals(new long[] {1, 1}, m.padR());
        assertEquals("abcd", m.srcTag());
        assertEquals("abcd", m.dstTag());
        assertEquals("abcd", m.weiTag());
        assertEquals("acdb", m.channelsLastTag());
        assertFalse(m.prePadded());
    }

    @Test void dilation_isPyTorchMinusOne() {
        DnnlMapping m = map(ConvSpec.conv2d(4, 4, 3).dilation(2, 3).padding(2).build(), Shape.of(1, 4, 12, 12));
        assertArrayEquals(new long[] {1, 2}, m.dilates());
    }

    @Test void stride_andNegativeRightPadding_fromExactPadRight() {
        // 1x1 stride 2 on 56: output 28 reads up to row 54, so one row is never read: padding_r = -1.
        DnnlMapping m = map(ConvSpec.conv2d(8, 16, 1).stride(2).build(), Shape.of(1, 8, 56, 56));
        assertArrayEquals(new long[] {2, 2}, m.strides());
        assertArrayEquals(new long[] {0, 0}, m.padL());
        assertArrayEquals(new long[] {-1, -1}, m.padR());
        assertArrayEquals(new long[] {1, 16, 28, 28}, m.dstDims());
    }

    @Test void asymmetricPadding_leftAndRightPerDim() {
        ConvSpec spec = ConvSpec.conv2d(2, 2, 3).padding(new int[] {0, 1}, new int[] {2, 0}).build();
        DnnlMapping m = map(spec, Shape.of(1, 2, 6, 6));
        assertArrayEquals(new long[] {0, 1}, m.padL());
        assertArrayEquals(new long[] {2, 0}, m.padR());
        assertArrayEquals(new long[] {1, 2, 6, 5}, m.dstDims());
    }

    @Test void grouped_weightsGainGroupDim() {
        DnnlMapping m = map(ConvSpec.conv2d(8, 12, 3).groups(4).build(), Shape.of(2, 8, 5, 5));
        assertArrayEquals(new long[] {4, 3, 2, 3, 3}, m.weiDims());
        assertEquals("abcde", m.weiTag());
    }

    @Test void depthwise_multiplier2_1d() {
        DnnlMapping m = map(ConvSpec.depthwise(1, 6, 2, 5).build(), Shape.of(1, 6, 20));
        assertArrayEquals(new long[] {6, 2, 1, 5}, m.weiDims());
        assertEquals("abcd", m.weiTag());
        assertEquals("abc", m.srcTag());
        assertEquals("acb", m.channelsLastTag());
    }

    @Test void transposed_iohwTagAndDeconvolution() {
        ConvSpec spec = ConvSpec.transposed(2, 4, 6, 3).stride(2).padding(1).outputPadding(1).build();
        DnnlMapping m = map(spec, Shape.of(1, 4, 5, 5));
        assertTrue(m.deconvolution());
        assertArrayEquals(new long[] {6, 4, 3, 3}, m.weiDims());   // {OC, IC, K...}
        assertEquals("bacd", m.weiTag());                           // PyTorch (IC, OC, K...) = iohw
        assertArrayEquals(new long[] {1, 6, 10, 10}, m.dstDims());
        // output_padding makes padding_r smaller by that amount: 1 - 1 = 0
        assertArrayEquals(new long[] {1, 1}, m.padL());
        assertArrayEquals(new long[] {0, 0}, m.padR());
    }

    @Test void transposed_outputPaddingAtLeastStride_cropsTheUnreachedColumns() {
        // k=2, dilation 3 (dk 4), stride 1, output_padding 2: o = 2 + 4 + 2 = 8, padding_r = -2,
        // but oneDNN needs padding_r + stride > 0: compute 6 columns with padding_r 0.
        ConvSpec spec = ConvSpec.transposed(1, 2, 2, 2).dilation(3).outputPadding(2).build();
        DnnlMapping m = map(spec, Shape.of(1, 2, 3));
        assertArrayEquals(new long[] {1, 2, 8}, m.fullDstDims());
        assertArrayEquals(new long[] {1, 2, 6}, m.dstDims());
        assertArrayEquals(new long[] {2}, m.dstCrop());
        assertArrayEquals(new long[] {0}, m.padR());
        assertArrayEquals(new long[] {16, 8, 1}, m.fullDstStrides());
        assertTrue(m.cropped());
        assertFalse(map(ConvSpec.transposed(1, 2, 2, 3).stride(2).outputPadding(1).build(), Shape.of(1, 2, 3)).cropped());
    }

    @Test void transposed_grouped1d_acbd() {
        ConvSpec spec = ConvSpec.transposed(1, 8, 12, 3).groups(4).build();
        DnnlMapping m = map(spec, Shape.of(1, 8, 7));
        assertArrayEquals(new long[] {4, 3, 2, 3}, m.weiDims());   // {G, OC/G, IC/G, K}
        assertEquals("acbd", m.weiTag());                          // PyTorch (IC, OC/G, K) = giow
    }

    @Test void transposed_tags3d() {
        assertEquals("bacde", map(ConvSpec.transposed(3, 2, 3, 2).build(), Shape.of(1, 2, 3, 3, 3)).weiTag());
        assertEquals("acbdef", map(ConvSpec.transposed(3, 4, 4, 2).groups(2).build(), Shape.of(1, 4, 3, 3, 3)).weiTag());
        assertEquals("bac", map(ConvSpec.transposed(1, 2, 3, 2).build(), Shape.of(1, 2, 5)).weiTag());
    }

    @Test void noBias_hasNoBiasDims() {
        assertNull(map(ConvSpec.conv1d(2, 3, 3).bias(false).build(), Shape.of(1, 2, 8)).biaDims());
    }

    @Test void channelsLast_userTags() {
        ConvSpec spec = ConvSpec.conv3d(2, 3, 3).build();
        DnnlMapping m = DnnlMapping.of(spec, Shape.of(1, 2, 5, 5, 5), Layout.CHANNELS_LAST);
        assertEquals("acdeb", m.srcTag());
        assertEquals("acdeb", m.dstTag());
        assertEquals("abcde", m.weiTag());
    }

    @Test void paddingMode_prePadsSourceAndRunsWithoutPadding() {
        ConvSpec spec = ConvSpec.conv2d(2, 3, 3).padding(1, 2).paddingMode(PaddingMode.REFLECT).build();
        DnnlMapping m = DnnlMapping.of(spec, Shape.of(1, 2, 6, 7), Layout.CHANNELS_LAST);
        assertTrue(m.prePadded());
        assertArrayEquals(new long[] {1, 2, 8, 11}, m.srcDims());   // padded copy
        assertArrayEquals(new long[] {0, 0}, m.padL());
        assertArrayEquals(new long[] {0, 0}, m.padR());
        assertEquals("abcd", m.srcTag());    // our own channels-first padded buffer
        assertEquals("acdb", m.dstTag());    // the user's layout
    }

    @Test void paddingMode_stridedKeepsNegativeRemainder() {
        ConvSpec spec = ConvSpec.conv1d(1, 1, 3).stride(2).padding(1).paddingMode(PaddingMode.CIRCULAR).build();
        DnnlMapping m = map(spec, Shape.of(1, 1, 8));   // padded 10, output 4 reads 9 of them
        assertArrayEquals(new long[] {1, 1, 10}, m.srcDims());
        assertArrayEquals(new long[] {-1}, m.padR());
    }

    @Test void invalidInput_throwsBeforeMapping() {
        ConvSpec spec = ConvSpec.conv2d(3, 4, 3).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> map(spec, Shape.of(1, 4, 8, 8)));
        assertTrue(e.getMessage().startsWith("input:"), e.getMessage());
    }
}
