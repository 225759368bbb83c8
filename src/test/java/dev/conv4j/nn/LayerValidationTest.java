package dev.conv4j.nn;

import static dev.conv4j.nn.NnTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Misuse gets a one-line error naming the parameter; nothing is half-done. */
class LayerValidationTest {

    private static void assertMessage(Class<? extends RuntimeException> type, String fragment, Executable call) {
        RuntimeException e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' lacks '" + fragment + "'");
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line");
    }

    @Test
    void badConstructionArgumentsNameTheParameter() {
        assertMessage(IllegalArgumentException.class, "groups: 3 must divide", () -> Conv2d.builder(4, 6, 3).groups(3).build());
        assertMessage(IllegalArgumentException.class, "output_padding", () -> Conv2d.builder(4, 6, 3).outputPadding(1).build());
        assertMessage(IllegalArgumentException.class, "output_padding: 2 must be smaller",
                () -> ConvTranspose2d.builder(4, 6, 3).stride(2).outputPadding(2).build());
        assertMessage(IllegalArgumentException.class, "kernel_size: expected 1 or 2 values", () -> new Conv2d(1, 1, 1, 2, 3));
        assertMessage(IllegalArgumentException.class, "groups: a DepthwiseConv2d", () -> DepthwiseConv2d.builder(4, 1, 3).groups(2).build());
        assertMessage(IllegalArgumentException.class, "depth_multiplier", () -> SeparableConv2d.builder(4, 4, 3).depthMultiplier(0));
        assertMessage(IllegalArgumentException.class, "padding_mode: unknown mode 'mirror'", () -> Conv1d.builder(1, 1, 3).paddingMode("mirror"));
        assertMessage(IllegalArgumentException.class, "plan_cache_size", () -> Conv1d.builder(1, 1, 3).planCacheSize(0));
        assertMessage(IllegalArgumentException.class, "spec: Conv3d needs a 3-D convolution",
                () -> new Conv3d(ConvSpec.conv2d(1, 1, 1).build(), ConvLayer.Options.defaults()));
    }

    @Test
    void builderFromSpecPicksTheLayerClass() {
        List<ConvSpec> specs = List.of(ConvSpec.conv1d(2, 2, 1).build(), ConvSpec.conv2d(2, 2, 1).build(),
                ConvSpec.conv3d(2, 2, 1).build(), ConvSpec.transposed(1, 2, 2, 1).build(),
                ConvSpec.transposed(2, 2, 2, 1).build(), ConvSpec.transposed(3, 2, 2, 1).build(),
                ConvSpec.depthwise(2, 2, 3, 1).build());
        List<Class<?>> classes = List.of(Conv1d.class, Conv2d.class, Conv3d.class, ConvTranspose1d.class,
                ConvTranspose2d.class, ConvTranspose3d.class, DepthwiseConv2d.class);
        for (int i = 0; i < specs.size(); i++) {
            try (ConvLayer l = ConvLayer.builder(specs.get(i)).seed(i).build()) {
                assertEquals(classes.get(i), l.getClass());
                assertEquals(specs.get(i), l.spec());
            }
        }
        assertEquals(7, specs.size());
    }

    @Test
    void badInputsAndOrderOfCalls() {
        Random rng = new Random(8);
        Conv2d layer = Conv2d.builder(3, 4, 3).seed(8).build();
        assertMessage(IllegalStateException.class, "backward needs a forward pass in training mode first",
                () -> layer.backward(Tensor.allocate(Shape.of(1, 4, 3, 3))));
        assertMessage(IllegalArgumentException.class, "input: expected [N, 3, H, W] for in_channels=3",
                () -> layer.forward(Tensor.allocate(Shape.of(1, 2, 5, 5))));
        assertMessage(IllegalArgumentException.class, "input: expected layout CHANNELS_FIRST, got CHANNELS_LAST",
                () -> layer.forward(Tensor.allocate(Shape.of(1, 3, 5, 5), Layout.CHANNELS_LAST)));
        assertMessage(IllegalArgumentException.class, "kernel_size: dilated kernel 3",
                () -> layer.forward(Tensor.allocate(Shape.of(1, 3, 2, 5))));
        assertMessage(IllegalArgumentException.class, "input: expected a tensor",
                () -> layer.forward(null));

        Tensor x = randn(Shape.of(1, 3, 5, 5), rng);
        layer.forward(x);
        float[] gradBefore = layer.weight().grad().toArray();
        assertMessage(IllegalArgumentException.class, "diff_dst: expected shape [1, 4, 3, 3]",
                () -> layer.backward(Tensor.allocate(Shape.of(1, 4, 4, 4))));
        assertMessage(IllegalArgumentException.class, "diff_src: expected shape [1, 3, 5, 5]",
                () -> layer.backward(Tensor.allocate(Shape.of(1, 4, 3, 3)), Tensor.allocate(Shape.of(1, 3, 4, 4))));
        assertArrayEquals(gradBefore, layer.weight().grad().toArray(), "a rejected backward adds nothing");

        layer.close();
        layer.close();   // idempotent
        assertMessage(IllegalStateException.class, "is closed", () -> layer.forward(x));
        assertEquals(Shape.of(4, 3, 3, 3), layer.weight().value().shape(), "parameters stay readable");
    }

    @Test
    void channelsLastLayerTakesAndReturnsChannelsLast() {
        Random rng = new Random(9);
        try (Conv2d cl = Conv2d.builder(3, 4, 3).channelsLast().seed(9).build();
             Conv2d cf = Conv2d.builder(3, 4, 3).seed(9).build()) {
            Tensor x = randn(Shape.of(2, 3, 5, 6), rng);
            Tensor y = cl.forward(x.toLayout(Layout.CHANNELS_LAST));
            assertEquals(Layout.CHANNELS_LAST, y.layout());
            assertArrayEquals(cf.forward(x).toArray(), y.toLayout(Layout.CHANNELS_FIRST).toArray());
            assertMessage(IllegalArgumentException.class, "expected layout CHANNELS_LAST", () -> cl.forward(x));
        }
    }
}
