package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.tensor.Shape;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/** parse(format(p)) == p over generated problems, convolution and deconvolution, ranks 1-3. */
class ProblemDescProperties {

    /** One spatial dimension: input, kernel, stride, dilation (1 = dense), left and right padding. */
    record Dim(int i, int k, int s, int d, int pl, int pr, int op) {}

    @Provide
    Arbitrary<Dim> dims() {
        return Combinators.combine(
                Arbitraries.integers().between(1, 40), Arbitraries.integers().between(1, 5),
                Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, 3))
            .as(Dim::new);
    }

    /** A valid layer and input, before ProblemDesc brings its padding into canonical form. */
    record Layer(String name, ConvSpec spec, Shape src) {}

    @Provide
    Arbitrary<ProblemDesc> problems() {
        return layers().map(l -> new ProblemDesc(l.name, l.spec, l.src, l.spec.transposed()));
    }

    @Provide
    Arbitrary<Layer> layers() {
        Arbitrary<List<Dim>> spatial = Arbitraries.integers().between(1, 3)
                .flatMap(rank -> Arbitraries.oneOf(
                        // square / cubic problems are common in practice and print differently
                        dims().map(d -> java.util.Collections.nCopies(rank, d)),
                        dims().list().ofSize(rank)));
        return Combinators.combine(
                spatial, Arbitraries.of(1, 2, 3, 4), Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 3),
                Arbitraries.of(false, true), Arbitraries.of("", "net:layer*2", "x"))
            .as((ds, g, icPerG, ocPerG, mb, deconv, name) -> build(ds, g, icPerG, ocPerG, mb, deconv, name))
            .filter(p -> p != null);
    }

    private static Layer build(List<Dim> ds, int g, int icPerG, int ocPerG, int mb, boolean deconv, String name) {
        int rank = ds.size();
        int[] k = new int[rank];
        int[] s = new int[rank];
        int[] d = new int[rank];
        int[] pl = new int[rank];
        int[] pr = new int[rank];
        int[] op = new int[rank];
        int[] src = new int[rank + 2];
        src[0] = mb;
        src[1] = g * icPerG;
        for (int x = 0; x < rank; x++) {
            Dim dim = ds.get(x);
            k[x] = dim.k;
            s[x] = dim.s;
            d[x] = dim.d;
            pl[x] = dim.pl;
            pr[x] = dim.pr;
            op[x] = deconv ? dim.op : 0;
            src[2 + x] = dim.i;
        }
        try {
            ConvSpec spec = ConvSpec.builder(rank, g * icPerG, g * ocPerG, k).stride(s).dilation(d)
                    .padding(pl, pr).groups(g).transposed(deconv).outputPadding(op).build();
            Shape srcShape = Shape.of(src);
            ConvShapes.validateInput(spec, srcShape);
            return new Layer(name, spec, srcShape);
        } catch (IllegalArgumentException e) {
            return null;  // not a valid layer (kernel larger than the padded input, ...)
        }
    }

    @Property(tries = 400, seed = "20261125")
    void parse_ofFormat_isTheSameProblem(@ForAll("problems") ProblemDesc p) {
        Statistics.collect(p.spec().rank(), p.deconv() ? "deconv" : "conv", p.spec().groups() > 1 ? "grouped" : "g1");
        String text = p.format();
        ProblemDesc back = ProblemDesc.parse(text, p.deconv());
        assertEquals(p, back, text);
        assertEquals(text, back.format());
        assertEquals(p.dst(), back.dst(), text);
    }

    @Property(tries = 400, seed = "20261125")
    void constructor_keepsTheLayer(@ForAll("layers") Layer l) {
        // The canonical padding describes the same layer: same output, same left padding, and
        // the same oneDNN right padding (exact right padding minus output padding).
        ProblemDesc p = new ProblemDesc(l.name, l.spec, l.src, l.spec.transposed());
        Statistics.collect(l.spec.rank(), p.deconv() ? "deconv" : "conv");
        assertEquals(l.spec.outputShape(l.src), p.dst());
        assertEquals(java.util.Arrays.toString(ConvShapes.padLeft(l.spec, l.src)),
                java.util.Arrays.toString(ConvShapes.padLeft(p.spec(), p.src())));
        Padding.Explicit e = (Padding.Explicit) p.spec().padding();
        int[] exact = ConvShapes.exactPadRight(l.spec, l.src);
        for (int k = 0; k < l.spec.rank(); k++) {
            if (p.deconv()) {
                assertEquals(exact[k], e.right()[k] - p.spec().outputPadding(k));
            } else {
                assertEquals(Math.max(exact[k], 0), e.right()[k]);
            }
            assertTrue(e.right()[k] >= 0);
        }
    }
}
