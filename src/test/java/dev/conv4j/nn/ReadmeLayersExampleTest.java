package dev.conv4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's "Layers (nn)" example, statement for statement, with its results checked. */
class ReadmeLayersExampleTest {

    private static double sum(Tensor t) {
        double s = 0;
        for (int i = 0; i < t.size(); i++) {
            s += t.get(i);
        }
        return s;
    }

    private static Tensor relu(Tensor h) {
        Tensor a = Tensor.allocate(h.shape());
        for (int i = 0; i < h.size(); i++) {
            a.set(i, Math.max(h.get(i), 0f));
        }
        return a;
    }

    @Test
    void builderLines() {
        ConvSpec spec = ConvSpec.transposed(2, 4, 2, 3).stride(2).build();
        // ---- README: Layers (nn), builders (keep in step) ----
        Conv2d conv = Conv2d.builder(3, 64, 3).stride(2).padding(1).build();           // nn.Conv2d(3, 64, 3, stride=2, padding=1)
        Conv1d c1 = Conv1d.builder(16, 32, 5).padding("same").dilation(2).paddingMode("reflect").build();
        ConvTranspose2d up = ConvTranspose2d.builder(64, 32, 3).stride(2).padding(1).outputPadding(1).build();
        DepthwiseConv2d dw = DepthwiseConv2d.builder(32, 2, 3).padding(1).bias(false).build();
        SeparableConv2d sep = SeparableConv2d.builder(32, 64, 3).padding("same").depthMultiplier(1).build();
        ConvLayer any = ConvLayer.builder(spec).build();                                // the class that fits spec, any ConvSpec
        // ---- end of the README's code ----
        List<Layer> all = List.of(conv, c1, up, dw, sep, any);
        assertEquals(Shape.of(1, 64, 4, 4), conv.outputShape(Shape.of(1, 3, 8, 8)));
        assertEquals(Shape.of(1, 32, 16, 16), up.outputShape(Shape.of(1, 64, 8, 8)));
        assertEquals(Shape.of(64, 1, 3, 3), dw.weight().shape());
        assertEquals(null, dw.bias());
        assertEquals(Shape.of(1, 64, 8, 8), sep.outputShape(Shape.of(1, 32, 8, 8)));
        assertEquals(ConvTranspose2d.class, any.getClass());
        all.forEach(Layer::close);
    }

    @Test
    void conv2dReluConv2dForwardBackwardStep() {
        float[] oldBias;
        try (Conv2d twin = Conv2d.builder(16, 8, 3).padding("same").seed(2).build()) {
            oldBias = twin.bias().value().toArray();
        }
        // ---- README: Layers (nn) (keep in step) ----
        try (Conv2d conv1 = Conv2d.builder(3, 16, 3).padding(1).seed(1).build();
             Conv2d conv2 = Conv2d.builder(16, 8, 3).padding("same").seed(2).build()) {
            Tensor x = Tensor.allocate(Shape.of(4, 3, 32, 32));
            x.fill(0.5f);

            // forward: conv1 -> ReLU -> conv2
            Tensor h = conv1.forward(x);                   // [4, 16, 32, 32]
            Tensor a = Tensor.allocate(h.shape());
            for (int i = 0; i < h.size(); i++) {
                a.set(i, Math.max(h.get(i), 0f));          // ReLU
            }
            Tensor y = conv2.forward(a);                   // [4, 8, 32, 32]

            // backward from dloss/dy; here loss = sum(y), so dy = 1
            Tensor dy = Tensor.allocate(y.shape());
            dy.fill(1f);
            Tensor da = conv2.backward(dy);                // adds into conv2's weight and bias grads
            Tensor dh = Tensor.allocate(h.shape());
            for (int i = 0; i < h.size(); i++) {
                dh.set(i, h.get(i) > 0 ? da.get(i) : 0f);  // ReLU'
            }
            Tensor dx = conv1.backward(dh);                // [4, 3, 32, 32]; adds into conv1's grads

            // one SGD step, then clear the gradients for the next batch
            for (Conv2d conv : List.of(conv1, conv2)) {
                for (Parameter p : conv.parameters()) {
                    for (int i = 0; i < p.value().size(); i++) {
                        p.value().buffer().put(i, p.value().get(i) - 0.01f * p.grad().get(i));
                    }
                    p.markModified();                      // the engine re-lays-out the weights now
                }
                conv.zeroGrad();
            }
            // ---- end of the README's code ----

            assertEquals(Shape.of(4, 16, 32, 32), h.shape());
            assertEquals(Shape.of(4, 8, 32, 32), y.shape());
            assertEquals(Shape.of(4, 3, 32, 32), dx.shape());
            assertTrue(NnTesting.nonZero(dx) > dx.size() / 2);
            // d sum(y) / d b2[o] = N·H·W = 4096 exactly, so the step moved each bias by -40.96.
            for (int o = 0; o < 8; o++) {
                assertEquals(oldBias[o] - 0.01f * 4096f, conv2.bias().value().get(o), 1e-5);
            }
            for (Conv2d conv : List.of(conv1, conv2)) {
                for (Parameter p : conv.parameters()) {
                    assertEquals(0, NnTesting.nonZero(p.grad()), p.name());
                }
            }
            // A gradient step lowers the loss.
            double before = sum(y);
            double after = sum(conv2.forward(relu(conv1.forward(x))));
            assertTrue(after < before, after + " !< " + before);
        }
    }
}
