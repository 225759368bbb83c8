package dev.conv4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.Padding;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;
import dev.conv4j.io.Npy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Tensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Weights exported from PyTorch load unchanged and reproduce PyTorch's outputs and gradients.
 * The fixtures under {@code src/test/resources/torch/<case>/} were written by
 * {@code scripts/make-torch-fixtures.py}; this table builds the same modules with conv4j.
 *
 * <p>Bound, per element: {@code |conv4j − torch| ≤ C · ε · m}, where {@code ε} is float32's
 * machine epsilon and {@code m} is the same quantity computed on absolute values (the layer
 * run on {@code |x|}, {@code |w|}, {@code |b|}, {@code |dy|}), i.e. {@code Σ|w·x| + |b|} for
 * the output: the rounding-error scale of a float32 sum.
 */
class TorchFixtureTest {
    /**
     * Measured on these 17 cases, every element is within 1.31 · ε · m on the reference engine and
     * 1.45 · ε · m on oneDNN; most of that is PyTorch's own float32 rounding (the reference
     * accumulates in double). 4 leaves a margin for other kernels' accumulation orders.
     */
    static final double C = 4.0;
    static final double EPS = Math.ulp(1.0f);
    private static int checked;

    static final Map<String, BiFunction<Engine, Layout, Layer>> CASES = new LinkedHashMap<>();

    static {
        CASES.put("conv1d_groups_stride", (e, l) -> Conv1d.builder(4, 6, 3).stride(2).padding(1).groups(2).engine(e).layout(l).build());
        CASES.put("conv1d_same_dilation", (e, l) -> Conv1d.builder(2, 3, 4).dilation(2).padding("same").engine(e).layout(l).build());
        CASES.put("conv2d_same_even_kernel", (e, l) -> Conv2d.builder(3, 4, 3, 4).padding("same").engine(e).layout(l).build());
        CASES.put("conv2d_reflect_dilation", (e, l) -> Conv2d.builder(3, 4, 3).padding(2).dilation(2)
                .paddingMode("reflect").engine(e).layout(l).build());
        CASES.put("conv2d_replicate_stride_nobias", (e, l) -> Conv2d.builder(2, 3, 3).stride(2).padding(1)
                .paddingMode("replicate").bias(false).engine(e).layout(l).build());
        CASES.put("conv2d_circular_groups", (e, l) -> Conv2d.builder(4, 6, 3).padding(1).groups(2)
                .paddingMode("circular").engine(e).layout(l).build());
        CASES.put("conv2d_valid", (e, l) -> Conv2d.builder(3, 5, 2).padding("valid").engine(e).layout(l).build());
        CASES.put("conv3d_groups_stride", (e, l) -> Conv3d.builder(2, 4, 2, 3, 3).stride(1, 2, 1).padding(0, 1, 1)
                .groups(2).engine(e).layout(l).build());
        CASES.put("convtranspose1d_groups_dilation", (e, l) -> ConvTranspose1d.builder(4, 2, 4).stride(3).dilation(2)
                .outputPadding(2).groups(2).engine(e).layout(l).build());
        CASES.put("convtranspose2d_output_padding", (e, l) -> ConvTranspose2d.builder(4, 3, 3).stride(2).padding(1)
                .outputPadding(1).engine(e).layout(l).build());
        CASES.put("convtranspose3d_stride", (e, l) -> ConvTranspose3d.builder(2, 2, 2).stride(2).engine(e).layout(l).build());
        CASES.put("depthwise_multiplier", (e, l) -> DepthwiseConv2d.builder(3, 2, 3).padding(1).engine(e).layout(l).build());
        CASES.put("separable", (e, l) -> SeparableConv2d.builder(3, 5, 3).padding("same").depthMultiplier(2).engine(e).layout(l).build());
        CASES.put("conv2d_asymmetric_circular_stride", (e, l) -> Conv2d.builder(3, 4, 3).stride(2)
                .padding(Padding.of(new int[] {1, 0}, new int[] {0, 2})).paddingMode("circular").engine(e).layout(l).build());
        CASES.put("conv3d_reflect_dilation", (e, l) -> Conv3d.builder(2, 3, 2, 3, 3).padding(1, 2, 1).dilation(1, 2, 1)
                .paddingMode("reflect").engine(e).layout(l).build());
        CASES.put("convtranspose2d_dilation_groups", (e, l) -> ConvTranspose2d.builder(4, 6, 3, 2).stride(1, 2).padding(2, 0)
                .outputPadding(1, 1).dilation(2, 3).groups(2).engine(e).layout(l).build());
        CASES.put("convtranspose1d_depthwise", (e, l) -> ConvTranspose1d.builder(3, 6, 3).stride(2).padding(1)
                .outputPadding(1).groups(3).engine(e).layout(l).build());
    }

    static Path root() throws URISyntaxException {
        return Path.of(Objects.requireNonNull(TorchFixtureTest.class.getResource("/torch"), "torch fixtures").toURI());
    }

    @Test
    void everyFixtureHasARowAndEveryRowAFixture() throws Exception {
        TreeSet<String> dirs = new TreeSet<>();
        try (Stream<Path> s = Files.list(root())) {
            s.filter(Files::isDirectory).forEach(p -> dirs.add(p.getFileName().toString()));
        }
        assertEquals(new TreeSet<>(CASES.keySet()), dirs);
    }

    static Stream<Arguments> casesOnEngines() {
        List<Arguments> out = new ArrayList<>();
        for (Engine e : NnTesting.engines()) {
            for (Layout l : Layout.values()) {
                for (String c : CASES.keySet()) {
                    out.add(Arguments.of(e.name(), l, c));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @MethodSource("casesOnEngines")
    void reproducesPyTorch(String engineName, Layout layout, String name) throws Exception {
        Engine engine = NnTesting.engines().stream().filter(e -> e.name().equals(engineName)).findFirst().orElseThrow();
        Path dir = root().resolve(name);
        Tensor x = Npy.read(dir.resolve("input.npy"));
        Tensor dy = Npy.read(dir.resolve("grad_output.npy"));
        try (Layer layer = CASES.get(name).apply(engine, layout);
             Layer magnitude = CASES.get(name).apply(Engines.reference(), Layout.CHANNELS_FIRST)) {
            layer.load(dir);
            Tensor y = layer.forward(x.toLayout(layout)).toLayout(Layout.CHANNELS_FIRST);
            Tensor dx = layer.backward(dy.toLayout(layout)).toLayout(Layout.CHANNELS_FIRST);

            // The same computation on absolute values: the scale of each element's rounding error.
            magnitude.load(dir);
            for (Parameter p : magnitude.parameters()) {
                abs(p.value());
            }
            Tensor yMag = magnitude.forward(abs(x.copy()));
            Tensor dxMag = magnitude.backward(abs(dy.copy()));

            assertClose(name + " output", Npy.read(dir.resolve("output.npy")), y, yMag);
            assertClose(name + " grad_input", Npy.read(dir.resolve("grad_input.npy")), dx, dxMag);
            for (Map.Entry<String, Parameter> e : layer.namedParameters().entrySet()) {
                Tensor torchGrad = Npy.read(dir.resolve(e.getKey() + ".grad.npy"));
                assertClose(name + " " + e.getKey() + ".grad", torchGrad, e.getValue().grad(),
                        magnitude.namedParameters().get(e.getKey()).grad());
            }
        }
        checked++;
    }

    private static Tensor abs(Tensor t) {
        for (int i = 0; i < t.size(); i++) {
            t.buffer().put(i, Math.abs(t.get(i)));
        }
        t.markModified();
        return t;
    }

    /** {@code |actual − torch| ≤ C · ε · magnitude} per element, and the values are not all zero. */
    static void assertClose(String what, Tensor torch, Tensor actual, Tensor magnitude) {
        assertEquals(torch.shape(), actual.shape(), what);
        int nonZero = 0;
        for (int i = 0; i < torch.size(); i++) {
            double err = Math.abs((double) actual.get(i) - torch.get(i));
            double bound = C * EPS * magnitude.get(i);
            if (err > bound) {
                throw new AssertionError(String.format(Locale.ROOT,
                        "%s[%d]: conv4j %s, torch %s, |diff| %.3g > bound %.3g (%.2f x)", what, i,
                        actual.get(i), torch.get(i), err, bound, err / bound));
            }
            if (torch.get(i) != 0f) {
                nonZero++;
            }
        }
        assertTrue(nonZero > torch.size() / 2, what + ": mostly zero, mistrusted");
    }

    @Test
    void theBoundCatchesAWrongElement() throws Exception {
        Path dir = root().resolve("conv2d_valid");
        try (Layer layer = CASES.get("conv2d_valid").apply(Engines.reference(), Layout.CHANNELS_FIRST);
             Layer magnitude = CASES.get("conv2d_valid").apply(Engines.reference(), Layout.CHANNELS_FIRST)) {
            layer.load(dir);
            Tensor y = layer.forward(Npy.read(dir.resolve("input.npy")));
            magnitude.load(dir);
            for (Parameter p : magnitude.parameters()) {
                abs(p.value());
            }
            Tensor mag = magnitude.forward(abs(Npy.read(dir.resolve("input.npy"))));
            Tensor torch = Npy.read(dir.resolve("output.npy"));
            assertClose("unchanged", torch, y, mag);
            // Off by the bound's own size at one element: must fail.
            y.set(7, (float) (y.get(7) + 2 * C * EPS * mag.get(7) + Math.ulp(y.get(7))));
            assertTrue(Boolean.FALSE.equals(passes(torch, y, mag)));
        }
    }

    private static Boolean passes(Tensor torch, Tensor y, Tensor mag) {
        try {
            assertClose("perturbed", torch, y, mag);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    @Test
    void saveWritesWhatLoadReads(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        try (SeparableConv2d a = SeparableConv2d.builder(3, 4, 3).depthwiseBias(true).seed(1).build();
             SeparableConv2d b = SeparableConv2d.builder(3, 4, 3).depthwiseBias(true).seed(2).build()) {
            a.save(tmp);
            for (String n : List.of("depthwise.weight", "depthwise.bias", "pointwise.weight", "pointwise.bias")) {
                assertTrue(Files.isRegularFile(tmp.resolve(n + ".npy")), n);
            }
            long before = b.depthwise().weight().value().version();
            b.load(tmp);
            assertTrue(b.depthwise().weight().value().version() > before, "load marks the weights modified");
            for (String n : a.namedParameters().keySet()) {
                assertArrayEquals(a.namedParameters().get(n).value().toArray(),
                        b.namedParameters().get(n).value().toArray(), n);
            }
        }
    }

    @Test
    void loadRejectsAMissingOrMisshapenFileAndChangesNothing(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        try (Conv2d c = Conv2d.builder(3, 5, 2).seed(3).build()) {
            float[] before = c.weight().value().toArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> c.load(tmp));
            assertTrue(e.getMessage().startsWith("weight: missing file"), e.getMessage());
            Files.copy(root().resolve("conv2d_valid/weight.npy"), tmp.resolve("weight.npy"));
            Npy.write(tmp.resolve("bias.npy"), Tensor.zeros(4));
            e = assertThrows(IllegalArgumentException.class, () -> c.load(tmp));
            assertTrue(e.getMessage().contains("has shape [4], expected [5]"), e.getMessage());
            assertArrayEquals(before, c.weight().value().toArray(),
                    "nothing loaded when one file is bad");
        }
    }

    @AfterAll
    static void allCasesRan() {
        assertEquals(CASES.size() * NnTesting.engines().size() * Layout.values().length, checked);
    }
}
