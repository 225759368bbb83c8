package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Descriptor validation: one test per rule, each with accepted rows beside rejected ones.
 * A rejected row asserts the whole one-line message (parameter, value and rule).
 */
class ConvSpecTest {

    private static void accepts(Supplier<?> build) {
        assertNotNull(build.get());
    }

    private static void rejects(String message, Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    private static void acceptsInput(ConvSpec spec, Shape src) {
        ConvShapes.validateInput(spec, src);
        assertNotNull(spec.outputShape(src));
    }

    private static void rejectsInput(String message, ConvSpec spec, Shape src) {
        rejects(message, () -> ConvShapes.validateInput(spec, src));
        rejects(message, () -> spec.outputShape(src));
    }

    // ---- each value's own range ------------------------------------------------------------

    @Test
    void rank_mustBeOneToThree() {
        accepts(() -> ConvSpec.builder(1, 1, 1, 3).build());
        accepts(() -> ConvSpec.builder(3, 1, 1, 3).build());
        rejects("rank: must be 1, 2 or 3, got 0", () -> ConvSpec.builder(0, 1, 1, 3).build());
        rejects("rank: must be 1, 2 or 3, got 4", () -> ConvSpec.builder(4, 1, 1, 3).build());
    }

    @Test
    void perDimensionValues_oneOrRankValues() {
        accepts(() -> ConvSpec.conv2d(1, 1, 3).stride(2).build());
        accepts(() -> ConvSpec.conv2d(1, 1, 3, 5).stride(1, 2).dilation(2, 1).padding(0, 1).build());
        rejects("kernel_size: expected 1 or 2 values for a 2-D convolution, got [3, 3, 3]",
                () -> ConvSpec.conv2d(1, 1, 3, 3, 3).build());
        rejects("stride: expected 1 or 2 values for a 2-D convolution, got [1, 2, 3]",
                () -> ConvSpec.conv2d(1, 1, 3).stride(1, 2, 3).build());
        rejects("dilation: expected 1 or 3 values for a 3-D convolution, got [1, 2]",
                () -> ConvSpec.conv3d(1, 1, 3).dilation(1, 2).build());
        rejects("padding: expected 1 or 1 values for a 1-D convolution, got [1, 1]",
                () -> ConvSpec.conv1d(1, 1, 3).padding(1, 1).build());
        rejects("output_padding: expected 1 or 2 values for a 2-D convolution, got []",
                () -> ConvSpec.transposed(2, 1, 1, 3).outputPadding().build());
    }

    @Test
    void inChannels_mustBePositive() {
        accepts(() -> ConvSpec.conv2d(1, 8, 3).build());
        rejects("in_channels: must be >= 1, got 0", () -> ConvSpec.conv2d(0, 8, 3).build());
        rejects("in_channels: must be >= 1, got -3", () -> ConvSpec.conv2d(-3, 8, 3).build());
    }

    @Test
    void outChannels_mustBePositive() {
        accepts(() -> ConvSpec.conv2d(8, 1, 3).build());
        rejects("out_channels: must be >= 1, got 0", () -> ConvSpec.conv2d(8, 0, 3).build());
    }

    @Test
    void kernelSize_mustBePositive() {
        accepts(() -> ConvSpec.conv2d(1, 1, 1).build());
        rejects("kernel_size: must be >= 1, got [3, 0]", () -> ConvSpec.conv2d(1, 1, 3, 0).build());
    }

    @Test
    void stride_mustBePositive() {
        accepts(() -> ConvSpec.conv2d(1, 1, 3).stride(1).build());
        rejects("stride: must be >= 1, got [0, 0]", () -> ConvSpec.conv2d(1, 1, 3).stride(0).build());
    }

    /** oneDNN crashed the JVM (SIGFPE) preparing or running backward-data at stride 65536 and 2^31 - 1. */
    @Test
    void stride_atMostWhatOneDnnTakes() {
        assertEquals(65535, ConvSpec.MAX_STRIDE);
        accepts(() -> ConvSpec.conv2d(1, 1, 1).stride(ConvSpec.MAX_STRIDE).build());
        accepts(() -> ConvSpec.transposed(1, 1, 1, 1).stride(ConvSpec.MAX_STRIDE).build());
        rejects("stride: must be at most 65535 (larger strides crash oneDNN), got [65536, 1]",
                () -> ConvSpec.conv2d(1, 1, 1).stride(65536, 1).build());
        rejects("stride: must be at most 65535 (larger strides crash oneDNN), got [2147483647]",
                () -> ConvSpec.transposed(1, 1, 1, 1).stride(Integer.MAX_VALUE).build());
        rejects("problem \"mb1ic1ih1oc1kh1sh65536\": stride: must be at most 65535 (larger strides crash oneDNN), got [65536, 65536]",
                () -> ProblemDesc.parse("mb1ic1ih1oc1kh1sh65536"));
    }

    /** A null array names its parameter instead of a variable of the builder's code. */
    @Test
    void nullArrays_nameTheParameter() {
        for (String[] row : new String[][] {{"kernel_size", "k"}, {"kernel_size", "kernelSize"}, {"stride", "s"},
                {"dilation", "d"}, {"output_padding", "op"}, {"padding", "p"}, {"padding (left)", "pl"}}) {
            NullPointerException e = assertThrows(NullPointerException.class, () -> {
                ConvSpec.Builder b = ConvSpec.conv2d(1, 1, 3);
                switch (row[1]) {
                    case "k" -> ConvSpec.conv2d(1, 1, (int[]) null);
                    case "kernelSize" -> b.kernelSize((int[]) null);
                    case "s" -> b.stride((int[]) null);
                    case "d" -> b.dilation((int[]) null);
                    case "op" -> b.outputPadding((int[]) null);
                    case "p" -> b.padding((int[]) null);
                    default -> b.padding(null, new int[] {1});
                }
            }, row[1]);
            assertEquals(row[0], e.getMessage());
        }
    }

    @Test
    void dilation_mustBePositive_pyTorchConvention() {
        accepts(() -> ConvSpec.conv2d(1, 1, 3).dilation(1).build());
        rejects("dilation: must be >= 1 (PyTorch convention, 1 = dense), got [0, 0]",
                () -> ConvSpec.conv2d(1, 1, 3).dilation(0).build());
    }

    @Test
    void outputPadding_mustNotBeNegative() {
        accepts(() -> ConvSpec.transposed(2, 1, 1, 3).stride(2).outputPadding(0).build());
        rejects("output_padding: must be >= 0, got [-1, -1]",
                () -> ConvSpec.transposed(2, 1, 1, 3).outputPadding(-1).build());
    }

    @Test
    void padding_mustNotBeNegative() {
        accepts(() -> ConvSpec.conv2d(1, 1, 3).padding(new int[] {0, 2}, new int[] {1, 0}).build());
        rejects("padding: must be >= 0, got [-1, -1]", () -> ConvSpec.conv2d(1, 1, 3).padding(-1).build());
        rejects("padding: must be >= 0, got [0, 0]/[0, -2]",
                () -> ConvSpec.conv2d(1, 1, 3).padding(new int[] {0}, new int[] {0, -2}).build());
    }

    @Test
    void paddingString_sameValidOrNumber() {
        assertEquals(Padding.same(), ConvSpec.conv2d(1, 1, 3).padding(" SAME ").build().padding());
        assertEquals(Padding.valid(), ConvSpec.conv2d(1, 1, 3).padding("valid").build().padding());
        assertEquals(Padding.of(2, 2), ConvSpec.conv2d(1, 1, 3).padding("2").build().padding());
        rejects("padding: expected same, valid or a number, got 'full'",
                () -> ConvSpec.conv2d(1, 1, 3).padding("full"));
    }

    @Test
    void paddingMode_parse_knownNamesOnly() {
        assertEquals(PaddingMode.REFLECT, PaddingMode.parse("Reflect"));
        assertEquals(PaddingMode.CIRCULAR, PaddingMode.parse(" circular"));
        rejects("padding_mode: unknown mode 'mirror', expected zeros, reflect, replicate or circular",
                () -> PaddingMode.parse("mirror"));
    }

    @Test
    void groups_mustBePositive() {
        accepts(() -> ConvSpec.conv2d(4, 4, 3).groups(1).build());
        rejects("groups: must be >= 1, got 0", () -> ConvSpec.conv2d(4, 4, 3).groups(0).build());
    }

    @Test
    void depthMultiplier_mustBePositive() {
        ConvSpec dw = ConvSpec.depthwise(2, 8, 2, 3).build();
        assertEquals(16, dw.outChannels());
        assertEquals(8, dw.groups());
        assertTrue(dw.isDepthwise());
        rejects("depth_multiplier: must be >= 1, got 0", () -> ConvSpec.depthwise(2, 8, 0, 3));
    }

    /** channels · multiplier in an int wrapped: 4 · (2^30 + 1) built a depthwise layer of multiplier 1. */
    @Test
    void depthMultiplier_outChannelsMustFitAnInt() {
        accepts(() -> ConvSpec.depthwise(2, 1, Integer.MAX_VALUE, 1).build());
        rejects("depth_multiplier: 1073741825 x in_channels 4 = 4294967300 out_channels, more than 2147483647",
                () -> ConvSpec.depthwise(2, 4, (1 << 30) + 1, 3));
        rejects("depth_multiplier: 65536 x in_channels 65536 = 4294967296 out_channels, more than 2147483647",
                () -> ConvSpec.depthwise(2, 65536, 65536, 3));
    }

    // ---- relations between values ----------------------------------------------------------

    @Test
    void dilatedKernel_mustFitAnInt() {
        accepts(() -> ConvSpec.conv1d(1, 1, 1 << 15).dilation(1 << 15).build());
        rejects("kernel_size: dilated kernel 4611686011984936963 (k=2147483647, dilation=2147483647) exceeds 2147483647",
                () -> ConvSpec.conv1d(1, 1, Integer.MAX_VALUE).dilation(Integer.MAX_VALUE).build());
    }

    @Test
    void groups_mustDivideBothChannelCounts() {
        accepts(() -> ConvSpec.conv2d(64, 128, 3).groups(32).build());
        rejects("groups: 3 must divide in_channels 64 and out_channels 128",
                () -> ConvSpec.conv2d(64, 128, 3).groups(3).build());
        rejects("groups: 4 must divide in_channels 8 and out_channels 6",
                () -> ConvSpec.conv2d(8, 6, 3).groups(4).build());
    }

    @Test
    void outputPadding_smallerThanStrideOrDilation() {
        accepts(() -> ConvSpec.transposed(2, 1, 1, 3).stride(2).outputPadding(1).build());
        accepts(() -> ConvSpec.transposed(2, 1, 1, 3).stride(1).dilation(3).outputPadding(2).build());
        rejects("output_padding: 2 must be smaller than stride 2 or dilation 1",
                () -> ConvSpec.transposed(2, 1, 1, 3).stride(2).outputPadding(2).build());
        rejects("output_padding: 1 must be smaller than stride 1 or dilation 1",
                () -> ConvSpec.transposed(1, 1, 1, 3).outputPadding(1).build());
    }

    @Test
    void outputPadding_onlyForTransposed() {
        accepts(() -> ConvSpec.conv2d(1, 1, 3).outputPadding(0).build());
        rejects("output_padding: only a transposed convolution has output padding, got [1, 1]",
                () -> ConvSpec.conv2d(1, 1, 3).stride(2).outputPadding(1).build());
    }

    @Test
    void transposed_zerosPaddingModeOnly() {
        accepts(() -> ConvSpec.transposed(2, 1, 1, 3).paddingMode(PaddingMode.ZEROS).build());
        accepts(() -> ConvSpec.conv2d(1, 1, 3).paddingMode(PaddingMode.REFLECT).build());
        rejects("padding_mode: only zeros is supported for a transposed convolution, got reflect",
                () -> ConvSpec.transposed(2, 1, 1, 3).paddingMode(PaddingMode.REFLECT).build());
    }

    // ---- input checks ----------------------------------------------------------------------

    @Test
    void input_rankMatchesSpec() {
        ConvSpec spec = ConvSpec.conv2d(3, 8, 3).build();
        acceptsInput(spec, Shape.of(1, 3, 5, 5));
        rejectsInput("input: expected 4 dimensions [N, C, H, W] for a 2-D convolution, got [3, 5, 5]",
                spec, Shape.of(3, 5, 5));
        rejectsInput("input: expected 5 dimensions [N, C, D, H, W] for a 3-D convolution, got [1, 3, 5, 5]",
                ConvSpec.conv3d(3, 8, 3).build(), Shape.of(1, 3, 5, 5));
    }

    @Test
    void input_batchAtLeastOne() {
        ConvSpec spec = ConvSpec.conv1d(3, 8, 3).build();
        acceptsInput(spec, Shape.of(1, 3, 5));
        rejectsInput("input: batch size N must be >= 1, got [0, 3, 5]", spec, Shape.of(0, 3, 5));
    }

    @Test
    void input_channelsMatchInChannels() {
        ConvSpec spec = ConvSpec.conv2d(64, 8, 3).build();
        acceptsInput(spec, Shape.of(1, 64, 5, 5));
        rejectsInput("input: expected [N, 64, H, W] for in_channels=64, got [1, 3, 224, 224]",
                spec, Shape.of(1, 3, 224, 224));
    }

    @Test
    void input_spatialSizesPositive() {
        ConvSpec spec = ConvSpec.conv2d(1, 1, 1).build();
        acceptsInput(spec, Shape.of(1, 1, 1, 1));
        rejectsInput("input: spatial sizes must be >= 1, got [1, 1, 0, 4]", spec, Shape.of(1, 1, 0, 4));
    }

    @Test
    void kernel_dilatedKernelFitsPaddedInput() {
        acceptsInput(ConvSpec.conv2d(1, 1, 7).dilation(2).padding(2).build(), Shape.of(1, 1, 9, 9));
        rejectsInput("kernel_size: dilated kernel 13 (k=7, dilation=2) exceeds padded input width 10 (8 + 1 + 1)",
                ConvSpec.conv2d(1, 1, 7).dilation(2).padding(1).build(), Shape.of(1, 1, 20, 8));
        rejectsInput("kernel_size: dilated kernel 3 (k=3, dilation=1) exceeds padded input width 2 (2 + 0 + 0)",
                ConvSpec.conv1d(1, 1, 3).padding("valid").build(), Shape.of(1, 1, 2));
    }

    @Test
    void reflect_paddingSmallerThanInput() {
        acceptsInput(ConvSpec.conv2d(1, 1, 5).padding(2).paddingMode(PaddingMode.REFLECT).build(),
                Shape.of(1, 1, 3, 3));
        rejectsInput("padding: reflect padding (3, 3) must be smaller than input height 3",
                ConvSpec.conv2d(1, 1, 7).padding(3).paddingMode(PaddingMode.REFLECT).build(), Shape.of(1, 1, 3, 3));
    }

    @Test
    void circular_paddingAtMostInput() {
        acceptsInput(ConvSpec.conv1d(1, 1, 7).padding(3).paddingMode(PaddingMode.CIRCULAR).build(), Shape.of(1, 1, 3));
        rejectsInput("padding: circular padding (4, 4) must not exceed input width 3",
                ConvSpec.conv1d(1, 1, 9).padding(4).paddingMode(PaddingMode.CIRCULAR).build(), Shape.of(1, 1, 3));
    }

    @Test
    void transposed_outputAtLeastOne() {
        acceptsInput(ConvSpec.transposed(1, 1, 1, 3).padding(1).build(), Shape.of(1, 1, 1));
        rejectsInput("padding: output width would be -1 (input 1, stride 1, kernel 3, padding 2 + 2), must be >= 1",
                ConvSpec.transposed(1, 1, 1, 3).padding(2).build(), Shape.of(1, 1, 1));
    }

    @Test
    void output_sizeFitsAnInt() {
        acceptsInput(ConvSpec.transposed(1, 1, 1, 1).stride(ConvSpec.MAX_STRIDE).build(), Shape.of(1, 1, 8193));
        // (2^20 − 1)·2^12 + 1 ≈ 2^32 would wrap to a small positive int without the check
        rejectsInput("output: width would be 4294963201 (input 1048576, stride 4096, kernel 1, padding 0 + 0), more than 2147483647",
                ConvSpec.transposed(1, 1, 1, 1).stride(4096).build(), Shape.of(1, 1, 1 << 20));
        rejectsInput("output: width would be 2147483649 (input 1, stride 1, kernel 1, padding 1073741824 + 1073741824), more than 2147483647",
                ConvSpec.conv1d(1, 1, 1).padding(1 << 30).build(), Shape.of(1, 1, 1));
    }

    @Test
    void tensors_elementCountFitsATensor() {
        // Tensor.MAX_ELEMENTS = 536870848 = 64 · 8388607: the most a direct aligned buffer holds
        acceptsInput(ConvSpec.conv2d(1, 1, 1).build(), Shape.of(1, 1, 64, 8388607));
        rejectsInput("input: [1, 1, 24000, 24000] has 576000000 elements, more than the 536870848 a tensor can hold",
                ConvSpec.conv2d(1, 1, 1).build(), Shape.of(1, 1, 24000, 24000));
        rejectsInput("input: [1, 1, 536870849] has 536870849 elements, more than the 536870848 a tensor can hold",
                ConvSpec.conv1d(1, 1, 1).build(), Shape.of(1, 1, Tensor.MAX_ELEMENTS + 1));
        rejectsInput("input: [2, 1, 32768, 32768] has 2147483648 elements, more than the 536870848 a tensor can hold",
                ConvSpec.conv2d(1, 1, 1).build(), Shape.of(2, 1, 1 << 15, 1 << 15));
        rejectsInput("output: [1, 2, 16384, 16384] has 536870912 elements, more than the 536870848 a tensor can hold",
                ConvSpec.conv2d(1, 2, 1).build(), Shape.of(1, 1, 1 << 14, 1 << 14));
        rejectsInput("weight: [32768, 32768, 1] has 1073741824 elements, more than the 536870848 a tensor can hold",
                ConvSpec.conv1d(1 << 15, 1 << 15, 1).build(), Shape.of(1, 1 << 15, 1));
        // the padded copy that reflect/replicate/circular padding materialises
        rejectsInput("padding: replicate padding [1, 1]/[1, 1] of input [1, 1, 16384, 32766] needs more than the "
                        + "536870848 elements a tensor can hold",
                ConvSpec.conv2d(1, 1, 3).padding(1).paddingMode(PaddingMode.REPLICATE).build(), Shape.of(1, 1, 16384, 32766));
        assertEquals(536870848, Tensor.MAX_ELEMENTS);
    }

    // ---- value semantics ---------------------------------------------------------------------

    @Test
    void spec_isAValue_arraysCopiedAndExpanded() {
        int[] k = {3, 5};
        ConvSpec a = ConvSpec.conv2d(2, 4, k).stride(2).build();
        k[0] = 9;
        assertEquals(3, a.kernel(0));
        a.kernelSize()[1] = 7;
        assertEquals(5, a.kernel(1));
        ConvSpec b = ConvSpec.conv2d(2, 4, 3, 5).stride(2, 2).padding(0, 0).dilation(1, 1).build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a, a.toBuilder().build());
        assertFalse(a.equals(a.toBuilder().bias(false).build()));
        assertEquals("Conv2d(2, 4, kernel_size=[3, 5], stride=[2, 2], padding=[0, 0], dilation=[1, 1], groups=1, bias=true)",
                a.toString());
    }
}
