package dev.conv4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LabeledCsvTest {

    private static LabeledCsv.Samples read(String text, int features) throws IOException {
        return LabeledCsv.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "tiny.csv", features);
    }

    @Test void readsFeaturesAndLabels() throws IOException {
        LabeledCsv.Samples s = read("0,1.5,16,3\n\n 2, 3 ,4,0\n", 3);
        assertEquals(2, s.count());
        assertArrayEquals(new float[] {0, 1.5f, 16, 2, 3, 4}, s.values());
        assertArrayEquals(new int[] {3, 0}, s.labels());
    }

    @Test void readsGzip() throws IOException {
        byte[] gz = IdxTestFiles.gzip("1,2,9\n3,4,8\n".getBytes(StandardCharsets.UTF_8));
        LabeledCsv.Samples s = LabeledCsv.read(new ByteArrayInputStream(gz), "tiny.csv.gz", 2);
        assertArrayEquals(new float[] {1, 2, 3, 4}, s.values());
        assertArrayEquals(new int[] {9, 8}, s.labels());
    }

    @Test void growsPastItsInitialCapacity() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            b.append(i).append(',').append(i % 10).append('\n');
        }
        LabeledCsv.Samples s = read(b.toString(), 1);
        assertEquals(1000, s.count());
        assertEquals(999f, s.values()[999]);
        assertEquals(9, s.labels()[999]);
    }

    @Test void errorsNameTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read("1,2,3\n1,2\n", 2));
        assertEquals("csv: tiny.csv line 2 has 2 fields, expected 3 (2 features and a label)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> read("1,x,3\n", 2));
        assertEquals("csv: tiny.csv line 1 field 2 is not a number: \"x\"", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> read("1,2,3.5\n", 2));
        assertEquals("csv: tiny.csv line 1 field 3 (the label) is not an integer: \"3.5\"", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> read("1,2,-1\n", 2));
        assertEquals("csv: tiny.csv line 1 label must be >= 0, got -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> read("1\n", 0));
        assertTrue(e.getMessage().startsWith("features:"), e.getMessage());
    }
}
