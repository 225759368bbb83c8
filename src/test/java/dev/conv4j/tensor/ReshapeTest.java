package dev.conv4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A reshaped tensor is the same storage and the same version: a write through one is seen,
 * data and version, through the other (engines cache copies by version).
 */
class ReshapeTest {

    @Test void aView_sharesStorageAndVersion_bothWays() {
        for (Tensor t : new Tensor[] {Tensor.allocate(Shape.of(3, 4)), Tensor.wrap(new float[12], 3, 4)}) {
            Tensor image = t.reshape(Shape.of(3, 4, 1, 1));
            assertEquals(Shape.of(3, 4, 1, 1), image.shape());
            assertEquals(t.isDirect(), image.isDirect());
            assertSame(t.array(), image.array());

            long before = image.version();
            t.set(5, 2.5f);
            assertEquals(2.5f, image.get(5));
            assertNotEquals(before, image.version(), "a write to the tensor changes the view's version");

            before = t.version();
            image.buffer().put(7, -1f);
            image.markModified();
            assertEquals(-1f, t.get(7));
            assertNotEquals(before, t.version(), "markModified on the view changes the tensor's version");

            assertEquals(t.version(), image.version());
        }
    }

    @Test void badReshapes_nameWhatIsWrong() {
        Tensor t = Tensor.allocate(Shape.of(2, 6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.reshape(Shape.of(2, 5, 1, 1)));
        assertTrue(e.getMessage().startsWith("shape:"), e.getMessage());
        Tensor last = Tensor.allocate(Shape.of(1, 2, 3, 1), Layout.CHANNELS_LAST);
        e = assertThrows(IllegalArgumentException.class, () -> last.reshape(Shape.of(1, 6)));
        assertTrue(e.getMessage().startsWith("layout:"), e.getMessage());
    }
}
