package dev.conv4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Logical indexing ({@link Tensor#at}, {@link Tensor#offset}) and layouts: an index outside
 * its dimension, or a missing layout, is an {@link IllegalArgumentException} naming it; before,
 * {@code at(0, 5)} of a {@code [2, 3]} tensor silently read element {@code (1, 2)}, and a
 * {@code null} layout made a tensor that indexed as channels-last.
 */
class TensorIndexTest {

    private static void rejects(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    @Test void at_insideTheShape_readsThatElement_inBothLayouts() {
        Tensor t = Tensor.of(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
        assertEquals(6f, t.at(1, 2));
        assertEquals(2f, t.at(0, 1));
        Tensor cl = Tensor.of(Shape.of(1, 2, 3), 1, 2, 3, 4, 5, 6).toLayout(Layout.CHANNELS_LAST);
        assertEquals(4f, cl.at(0, 1, 0));
        assertEquals(1, cl.offset(0, 1, 0));
    }

    @Test void at_outsideADimension_isRejected() {
        Tensor t = Tensor.of(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
        rejects("index: [0, 5] is outside shape [2, 3] (dimension 1)", () -> t.at(0, 5));
        rejects("index: [1, -1] is outside shape [2, 3] (dimension 1)", () -> t.at(1, -1));
        rejects("index: [2, 0] is outside shape [2, 3] (dimension 0)", () -> t.offset(2, 0));
        Tensor cl = Tensor.allocate(Shape.of(1, 2, 3), Layout.CHANNELS_LAST);
        rejects("index: [0, 2, 0] is outside shape [1, 2, 3] (dimension 1)", () -> cl.at(0, 2, 0));
        rejects("index: expected 2 indices, got 1", () -> t.at(1));
        rejects("index: expected 2 indices, got null", () -> t.at((int[]) null));
    }

    @Test void aNullLayout_isRejected() {
        String message = "layout: expected CHANNELS_FIRST or CHANNELS_LAST, got null";
        rejects(message, () -> Tensor.allocate(Shape.of(1, 2, 3), null));
        rejects(message, () -> Tensor.wrap(new float[6], Shape.of(1, 2, 3), null));
        rejects(message, () -> Tensor.zeros(1, 2, 3).toLayout(null));
    }
}
