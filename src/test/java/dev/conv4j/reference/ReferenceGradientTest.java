package dev.conv4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Plan;
import dev.conv4j.reference.ConvCases.Case;
import dev.conv4j.tensor.Layout;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference's backward-data and backward-weights/bias against central finite differences
 * of {@code L = Σ dy·y}, for every row of {@link ConvCases} (every kind, padding mode and rank),
 * over every element of the input, the weights and the bias ({@link Checks#gradient}).
 */
class ReferenceGradientTest {

    static Stream<Arguments> cases() {
        List<Case> all = ConvCases.all();
        return IntStream.range(0, all.size()).mapToObj(i -> Arguments.of(all.get(i), 1000L + i));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(Case c, long seed) {
        try (Plan plan = c.prepare()) {
            int checked = Checks.gradient(plan, c.layout(), seed);
            long expected = plan.srcShape().elementCount() + plan.weiShape().elementCount()
                    + (plan.biaShape() == null ? 0 : plan.biaShape().elementCount());
            assertEquals(expected, checked, "elements checked");
        }
    }

    /** Guards the sweep above against shrinking: every rank, kind, padding mode and layout is in it. */
    @Test
    void tableCoversEveryKindRankModeAndLayout() {
        List<Case> all = ConvCases.all();
        assertEquals(3 * ConvCases.PER_RANK, all.size());
        Set<String> seen = new HashSet<>();
        for (Case c : all) {
            var s = c.spec();
            String kind = s.transposed() ? (s.groups() > 1 ? "transposed-grouped" : "transposed")
                    : s.isDepthwise() ? "depthwise" : s.groups() > 1 ? "grouped" : "standard";
            seen.add(s.rank() + " " + kind);
            seen.add(s.rank() + " " + s.paddingMode());
            seen.add(s.rank() + " " + c.layout());
            seen.add(s.rank() + " bias=" + s.bias());
            seen.add(s.rank() + " padding=" + s.padding().getClass().getSimpleName());
            for (int k = 0; k < s.rank(); k++) {
                if (s.stride(k) > 1) seen.add(s.rank() + " strided");
                if (s.dilation(k) > 1) seen.add(s.rank() + " dilated");
                if (s.outputPadding(k) > 0) seen.add(s.rank() + " output_padding");
            }
            if (s.padding() instanceof dev.conv4j.Padding.Explicit e && !e.symmetric()) {
                seen.add(s.rank() + " asymmetric");
            }
        }
        for (int r = 1; r <= 3; r++) {
            for (String k : List.of("standard", "grouped", "depthwise", "transposed", "transposed-grouped",
                    "strided", "dilated", "output_padding", "asymmetric", "bias=true", "bias=false",
                    "padding=Explicit", "padding=Same", "padding=Valid")) {
                assertTrue(seen.contains(r + " " + k), "missing rank " + r + " " + k);
            }
            for (PaddingMode m : EnumSet.allOf(PaddingMode.class)) {
                assertTrue(seen.contains(r + " " + m), "missing rank " + r + " " + m);
            }
            for (Layout l : Layout.values()) {
                assertTrue(seen.contains(r + " " + l), "missing rank " + r + " " + l);
            }
        }
    }
}
