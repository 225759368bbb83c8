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
}
