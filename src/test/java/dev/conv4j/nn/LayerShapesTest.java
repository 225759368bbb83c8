package dev.conv4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conv4j.engine.Engines;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * same / valid / padding modes / output padding through the layer API give PyTorch's output
 * shapes. The expected shapes were printed by PyTorch 2 for the same modules and inputs.
 */
class LayerShapesTest {

    record Row(String torchModule, Supplier<Layer> layer, Shape input, Shape torchOutput) {}

    static final List<Row> ROWS = List.of(
            new Row("Conv2d(3,8,3,padding='same')", () -> Conv2d.builder(3, 8, 3).padding("same").build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 8, 10, 11)),
            new Row("Conv2d(3,8,4,padding='same',dilation=2)", () -> Conv2d.builder(3, 8, 4).padding("same").dilation(2).build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 8, 10, 11)),
            new Row("Conv2d(3,8,3,padding='valid')", () -> Conv2d.builder(3, 8, 3).padding("valid").build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 8, 8, 9)),
            new Row("Conv2d(3,8,3,stride=2,padding=1)", () -> Conv2d.builder(3, 8, 3).stride(2).padding(1).build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 8, 5, 6)),
            new Row("Conv2d(3,8,3,padding=2,padding_mode='reflect')", () -> Conv2d.builder(3, 8, 3).padding(2).paddingMode("reflect").build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 8, 12, 13)),
            new Row("Conv2d(3,8,3,padding=2,padding_mode='replicate')", () -> Conv2d.builder(3, 8, 3).padding(2).paddingMode("replicate").build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 8, 12, 13)),
            new Row("Conv2d(3,8,3,padding=2,padding_mode='circular')", () -> Conv2d.builder(3, 8, 3).padding(2).paddingMode("circular").build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 8, 12, 13)),
            new Row("ConvTranspose2d(3,8,3,stride=2,padding=1,output_padding=1)",
                    () -> ConvTranspose2d.builder(3, 8, 3).stride(2).padding(1).outputPadding(1).build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 8, 20, 22)),
            new Row("ConvTranspose1d(3,2,4,stride=3,dilation=2,output_padding=2)",
                    () -> ConvTranspose1d.builder(3, 2, 4).stride(3).dilation(2).outputPadding(2).build(),
                    Shape.of(1, 3, 5), Shape.of(1, 2, 21)),
            new Row("ConvTranspose3d(2,4,(2,3,3),stride=(1,2,3),padding=(0,1,1),output_padding=(0,1,2))",
                    () -> ConvTranspose3d.builder(2, 4, 2, 3, 3).stride(1, 2, 3).padding(0, 1, 1).outputPadding(0, 1, 2).build(),
                    Shape.of(1, 2, 3, 4, 5), Shape.of(1, 4, 4, 8, 15)),
            new Row("Conv3d(2,4,3,stride=2,padding='valid')", () -> Conv3d.builder(2, 4, 3).stride(2).padding("valid").build(),
                    Shape.of(1, 2, 7, 8, 9), Shape.of(1, 4, 3, 3, 4)),
            new Row("Conv1d(2,4,5,dilation=3,padding='same')", () -> Conv1d.builder(2, 4, 5).dilation(3).padding("same").build(),
                    Shape.of(1, 2, 7), Shape.of(1, 4, 7)),
            new Row("Conv2d(3,6,3,groups=3,padding='same')", () -> DepthwiseConv2d.builder(3, 2, 3).padding("same").build(),
                    Shape.of(2, 3, 10, 11), Shape.of(2, 6, 10, 11)),
            new Row("Sequential(Conv2d(3,3,3,stride=2,padding=1,groups=3,bias=False), Conv2d(3,5,1))",
                    () -> SeparableConv2d.builder(3, 5, 3).stride(2).padding(1).build(),
                    Shape.of(1, 3, 10, 11), Shape.of(1, 5, 5, 6)));

    @Test
    void outputShapesMatchPyTorch() {
        int checked = 0;
        for (Row r : ROWS) {
            try (Layer layer = r.layer().get()) {
                Tensor y = layer.forward(Tensor.allocate(r.input()));
                assertEquals(r.torchOutput(), y.shape(), r.torchModule());
                Shape predicted = layer instanceof ConvLayer c ? c.outputShape(r.input())
                        : ((SeparableConv2d) layer).outputShape(r.input());
                assertEquals(r.torchOutput(), predicted, r.torchModule());
                assertEquals(r.input(), layer.backward(y).shape(), r.torchModule());
                checked++;
            }
        }
        assertEquals(14, checked);
    }

    @Test
    void layersUseTheDefaultEngineUnlessTold() {
        try (Conv2d c = new Conv2d(1, 1, 1)) {
            assertEquals(Layers.defaultEngine().name(), c.engine().name());
        }
        try (Conv2d c = Conv2d.builder(1, 1, 1).engine(Engines.reference()).build()) {
            assertEquals("reference", c.engine().name());
        }
    }
}
