package dev.conv4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** Off-heap tensors start on a cache line, whatever their size, and hold exactly their elements. */
class AlignedTensorTest {

    @Test void allocatedTensorsAreCacheLineAligned_andExactlySized() {
        int checked = 0;
        for (int n : new int[] {0, 1, 3, 7, 16, 17, 1000, 12_845_056 / 64}) {
            FloatBuffer b = Tensor.alignedDirect(n);
            assertEquals(n, b.capacity());
            assertEquals(0, new Pointer(b).address() % Tensor.ALIGNMENT, "floats " + n);
            for (int i = 0; i < n; i++) {
                assertEquals(0f, b.get(i));
            }
            checked++;
        }
        Tensor t = Tensor.allocate(Shape.of(1, 3, 5, 7), Layout.CHANNELS_LAST);
        assertEquals(0, new Pointer(t.buffer()).address() % Tensor.ALIGNMENT);
        assertEquals(105, t.buffer().capacity());
        assertEquals(8, checked);
    }

    @Test void moreElementsThanADirectBufferHolds_isAnIllegalArgumentNotAnOverflow() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Tensor.allocate(Shape.of(1, 1, 24000, 24000)));
        assertEquals("shape: [1, 1, 24000, 24000] has 576000000 elements, more than the 536870848 a tensor can hold",
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Tensor.alignedDirect(Tensor.MAX_ELEMENTS + 1));
        assertEquals("floats: 536870849 must be in [0, 536870848], what a tensor can hold", e.getMessage());
        // the limit itself fits: its bytes plus the alignment slack are an int
        assertEquals(true, (long) Tensor.MAX_ELEMENTS * Float.BYTES + Tensor.ALIGNMENT - 1 <= Integer.MAX_VALUE);
    }
}
