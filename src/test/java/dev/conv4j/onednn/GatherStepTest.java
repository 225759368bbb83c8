package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/**
 * A {@link GatherStep} moves every element where oneDNN's reorder between the same two layouts
 * does, bit for bit, blocked layouts with padded channels included (their padding written as
 * zeros over whatever the destination held), in both directions.
 */
class GatherStepTest {

    record Pair(long[] dims, String a, String b) {
        @Override public String toString() {
            return java.util.Arrays.toString(dims) + " " + a + " <-> " + b;
        }
    }

    static final Pair[] PAIRS = {
        new Pair(new long[] {1, 3, 5, 5}, "nchw", "nChw8c"),       // 3 channels padded to 8
        new Pair(new long[] {2, 4, 3, 3}, "nchw", "nhwc"),
        new Pair(new long[] {1, 12, 4, 4}, "nhwc", "nChw8c"),      // 12 padded to 16
        new Pair(new long[] {5, 3, 3, 3}, "oihw", "OIhw8i8o"),     // both channel counts padded
        new Pair(new long[] {6, 5, 3, 3}, "oihw", "Ohwi8o"),
        new Pair(new long[] {4, 1, 1, 3, 3}, "goihw", "Goihw8g"),  // depthwise weights
        new Pair(new long[] {2, 3, 7}, "ncw", "nwc"),
        new Pair(new long[] {1, 2, 3, 4, 5}, "ncdhw", "ndhwc"),
    };

    @Test
    void movesEveryElementWhereOneDnnsReorderDoes_bothWays() {
        engine eng = NativeRuntime.get().engine();
        SplittableRandom rnd = new SplittableRandom(5);
        int checked = 0;
        for (Pair p : PAIRS) {
            for (boolean forward : new boolean[] {true, false}) {
                try (PointerScope scope = new PointerScope()) {
                    memory.desc fromMd = md(p.dims(), forward ? p.a() : p.b());
                    memory.desc toMd = md(p.dims(), forward ? p.b() : p.a());
                    assertTrue(GatherStep.fits(fromMd, toMd), p + " is small");
                    memory from = new memory(fromMd, eng);
                    memory byOneDnn = new memory(toMd, eng);
                    memory byGather = new memory(toMd, eng);
                    FloatBuffer in = GatherStep.view(from);
                    FloatBuffer expected = GatherStep.view(byOneDnn);
                    FloatBuffer actual = GatherStep.view(byGather);
                    memory plain = new memory(md(p.dims(), plainTag(p.dims().length)), eng);
                    FloatBuffer plainValues = GatherStep.view(plain);
                    for (int i = 0; i < plainValues.capacity(); i++) {
                        plainValues.put(i, (float) rnd.nextDouble(-1, 1));
                    }
                    reorder(eng, plain, from);       // oneDNN zero-fills a blocked source's padding
                    reorder(eng, from, byOneDnn);
                    for (int j = 0; j < actual.capacity(); j++) {
                        actual.put(j, Float.NaN);   // stale data a gather must overwrite, padding included
                    }
                    GatherStep g = GatherStep.of(eng, fromMd, toMd, () -> in, () -> actual, p.toString(),
                            dev.conv4j.Direction.FWD, "test");
                    g.run(null, p.toString());
                    for (int j = 0; j < expected.capacity(); j++) {
                        assertEquals(Float.floatToIntBits(expected.get(j)), Float.floatToIntBits(actual.get(j)),
                                p + (forward ? " forward" : " back") + ", element " + j);
                    }
                    checked++;
                }
            }
        }
        assertEquals(2 * PAIRS.length, checked);
    }

    /** A strided view (a cropped destination is one): the gaps between its rows are another tensor's and stay as they were. */
    @Test
    void leavesTheGapsOfAStridedViewAlone() {
        engine eng = NativeRuntime.get().engine();
        try (PointerScope scope = new PointerScope()) {
            long[] dims = {1, 2, 3, 3};
            memory.desc blocked = md(dims, "nChw8c");
            memory.desc view = new memory.desc(new LongPointer(dims), memory.data_type.f32,
                    new LongPointer(2 * 3 * 5, 3 * 5, 5, 1));   // rows of 5 floats, 3 used
            memory from = new memory(blocked, eng);
            memory plain = new memory(md(dims, "nchw"), eng);
            FloatBuffer values = GatherStep.view(plain);
            for (int i = 0; i < 18; i++) {
                values.put(i, i + 0.5f);
            }
            reorder(eng, plain, from);
            memory byOneDnn = new memory(view, eng);
            memory byGather = new memory(view, eng);
            int span = floats(view);
            FloatBuffer expected = GatherStep.view(byOneDnn);
            FloatBuffer actual = GatherStep.view(byGather);
            for (int j = 0; j < span; j++) {
                expected.put(j, -7f);   // another tensor's data in the gaps
                actual.put(j, -7f);
            }
            reorder(eng, from, byOneDnn);
            FloatBuffer in = GatherStep.view(from);
            GatherStep.of(eng, blocked, view, () -> in, () -> actual, "view", dev.conv4j.Direction.FWD, "test")
                    .run(null, "view");
            int gaps = 0;
            for (int j = 0; j < span; j++) {
                assertEquals(expected.get(j), actual.get(j), "element " + j);
                gaps += actual.get(j) == -7f ? 1 : 0;
            }
            assertEquals(span - 18, gaps, "gaps left alone");
        }
    }

    @Test
    void largeTensorsAreLeftToOneDnn() {
        memory.desc small = md(new long[] {1, 16, 8, 8}, "nchw");
        memory.desc large = md(new long[] {1, 16, 8, 9}, "nchw");
        assertTrue(GatherStep.fits(small, md(new long[] {1, 16, 8, 8}, "nChw8c")));
        assertFalse(GatherStep.fits(large, md(new long[] {1, 16, 8, 9}, "nChw8c")));
    }

    private static String plainTag(int ndims) {
        return switch (ndims) {
            case 3 -> "abc";
            case 4 -> "abcd";
            default -> "abcde";
        };
    }

    private static int floats(memory.desc md) {
        return (int) (md.get_size() / Float.BYTES);
    }

    private static memory.desc md(long[] dims, String tag) {
        return new memory.desc(new LongPointer(dims), memory.data_type.f32, memory.format_tag.valueOf(tag));
    }

    private static void reorder(engine eng, memory from, memory to) {
        reorder.primitive_desc rpd = new reorder.primitive_desc(from, to, new primitive_attr(), false);
        dnnl_exec_arg_t args = new dnnl_exec_arg_t(2);
        args.getPointer(0).arg(dnnl.DNNL_ARG_FROM).memory(from.get());
        args.getPointer(1).arg(dnnl.DNNL_ARG_TO).memory(to.get());
        stream s = new stream(eng);
        assertEquals(0, dnnl.dnnl_primitive_execute(new reorder(rpd).get(), s.get(), 2, args));
        assertEquals(0, dnnl.dnnl_stream_wait(s.get()));
    }
}
