package dev.conv4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.engine.Engines;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.ConvCases.Case;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The gradient sweep's table ({@link ConvCases}: every kind, padding mode, rank and user
 * layout) on oneDNN: forward, backward-data and backward-weights/bias equal the reference's
 * exactly on small-integer inputs (every float32 sum is then exact in any order). The
 * reference's own backward is checked against finite differences by ReferenceGradientTest.
 */
class OneDnnCasesTest {

    static Stream<Arguments> cases() {
        List<Case> all = ConvCases.all();
        return IntStream.range(0, all.size()).mapToObj(i -> Arguments.of(all.get(i), 5000L + i));
    }

    private static Tensor ints(Shape s, Layout layout, Random r) {
        if (s == null) {
            return null;
        }
        Tensor t = s.rank() >= 3 ? Tensor.allocate(s, layout) : Tensor.allocate(s);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, r.nextInt(5) - 2);
        }
        return t;
    }

    private static Tensor like(Shape s, Layout layout) {
        return s == null ? null : s.rank() >= 3 ? Tensor.allocate(s, layout) : Tensor.allocate(s);
    }

    private static float[] cf(Tensor t) {
        return t.layout() == Layout.CHANNELS_FIRST ? t.toArray() : t.toLayout(Layout.CHANNELS_FIRST).toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneDnnEqualsReference_allDirections(Case c, long seed) {
        PlanOptions options = PlanOptions.DEFAULT.withUserLayout(c.layout());
        Layout l = c.layout();
        Random r = new Random(seed);
        int nonzero = 0;
        try (Plan one = Engines.onednn().prepare(c.spec(), c.src(), options); Plan ref = c.prepare()) {
            Tensor src = ints(one.srcShape(), l, r);
            Tensor wei = ints(one.weiShape(), l, r);
            Tensor bia = ints(one.biaShape(), l, r);
            Tensor diffDst = ints(one.dstShape(), l, r);

            Tensor dst1 = like(one.dstShape(), l);
            Tensor dst2 = like(one.dstShape(), l);
            one.forward(src, wei, bia, dst1);
            ref.forward(src, wei, bia, dst2);
            assertArrayEquals(cf(dst2), cf(dst1), "dst");

            Tensor ds1 = like(one.srcShape(), l);
            Tensor ds2 = like(one.srcShape(), l);
            one.backwardData(diffDst, wei, ds1);
            ref.backwardData(diffDst, wei, ds2);
            assertArrayEquals(cf(ds2), cf(ds1), "diff_src");

            Tensor dw1 = like(one.weiShape(), l);
            Tensor dw2 = like(one.weiShape(), l);
            Tensor db1 = like(one.biaShape(), l);
            Tensor db2 = like(one.biaShape(), l);
            one.backwardWeights(src, diffDst, dw1, db1);
            ref.backwardWeights(src, diffDst, dw2, db2);
            assertArrayEquals(cf(dw2), cf(dw1), "diff_wei");
            if (db1 != null) {
                assertArrayEquals(db2.toArray(), db1.toArray(), "diff_bia");
            }
            for (float v : cf(dst1)) {
                nonzero += v != 0 ? 1 : 0;
            }
        }
        assertTrue(nonzero > 0, "all-zero forward result proves nothing");
    }

    @org.junit.jupiter.api.Test void tableIsTheFullSweep() {
        assertEquals(3 * ConvCases.PER_RANK, cases().count());
    }
}
