package dev.conv4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.io.IdxTestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir Path dir;

    @Test void digitsAreBundled() {
        Dataset d = Datasets.digits();
        assertEquals(1797, d.size());
        assertEquals(64, d.imageSize());
        int[] perClass = new int[10];
        for (int i = 0; i < d.size(); i++) {
            perClass[d.label(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertTrue(perClass[c] >= 170 && perClass[c] <= 185, "class " + c + ": " + perClass[c]);
        }
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : d.images()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
        // The first row of the file is a zero: its top-left 8 pixels are 0,0,5,13,9,1,0,0.
        assertEquals(0, d.label(0));
        assertEquals(5f / 16f, d.images()[2]);
        assertEquals(13f / 16f, d.images()[3]);
    }

    @Test void splitIsDeterministicAndDisjoint() {
        Dataset d = Datasets.digits();
        Dataset.Split a = d.split(0.2, 42);
        Dataset.Split b = d.split(0.2, 42);
        Dataset.Split c = d.split(0.2, 43);
        assertEquals(359, a.test().size());
        assertEquals(1438, a.train().size());
        assertEquals(fingerprint(a.test()), fingerprint(b.test()));
        assertNotEquals(fingerprint(a.test()), fingerprint(c.test()));
        // Every image lands in exactly one part (images are compared by content).
        Set<String> seen = new HashSet<>();
        int duplicatesInFile = 0;
        for (Dataset part : new Dataset[] {a.train(), a.test()}) {
            for (int i = 0; i < part.size(); i++) {
                if (!seen.add(key(part, i))) {
                    duplicatesInFile++;
                }
            }
        }
        Set<String> original = new HashSet<>();
        for (int i = 0; i < d.size(); i++) {
            original.add(key(d, i));
        }
        assertEquals(d.size() - original.size(), duplicatesInFile);
    }

    private static String key(Dataset d, int i) {
        float[] img = new float[d.imageSize()];
        d.copyImage(i, img, 0);
        return Arrays.toString(img) + d.label(i);
    }

    private static long fingerprint(Dataset d) {
        long h = 0;
        for (int i = 0; i < d.size(); i++) {
            h = h * 31 + key(d, i).hashCode();
        }
        return h;
    }

    private static final int PIXELS = 28 * 28;

    @Test void fashionMnistReadsIdxFiles() throws IOException {
        byte[] trainImages = new byte[3 * PIXELS];
        for (int i = 0; i < trainImages.length; i++) {
            trainImages[i] = (byte) (i * 20);
        }
        byte[] testImages = new byte[PIXELS];
        testImages[3] = (byte) 255;
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), IdxTestFiles.gzipIdx(new int[] {3, 28, 28}, trainImages));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), IdxTestFiles.idx(new int[] {3}, new byte[] {9, 0, 4}));
        Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), IdxTestFiles.gzipIdx(new int[] {1, 28, 28}, testImages));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxTestFiles.gzipIdx(new int[] {1}, new byte[] {7}));
        Dataset.Split s = Datasets.fashionMnist(dir);
        assertEquals(3, s.train().size());
        assertEquals(PIXELS, s.train().imageSize());
        assertEquals(4, s.train().label(2));
        assertEquals((11 * 20 & 0xff) / 255f, s.train().images()[11]);
        assertEquals(1, s.test().size());
        assertEquals(1f, s.test().images()[3]);
        assertEquals(7, s.test().label(0));
    }

    /** Writes the four files: {@code n} training and {@code m} test images of {@code h x w}, labels {@code label}. */
    private void writeFashion(int n, int m, int h, int w, byte label) throws IOException {
        byte[] trainLabels = new byte[n];
        Arrays.fill(trainLabels, label);
        Files.write(dir.resolve("train-images-idx3-ubyte"), IdxTestFiles.idx(new int[] {n, h, w}, new byte[n * h * w]));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), IdxTestFiles.idx(new int[] {n}, trainLabels));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), IdxTestFiles.idx(new int[] {m, h, w}, new byte[m * h * w]));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxTestFiles.idx(new int[] {m}, new byte[m]));
    }

    private String fashionError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.fashionMnist(dir));
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    /** An empty set would "train" and report accuracy 0 over no images: it is an error naming the file. */
    @Test void fashionMnistRejectsAnEmptySet() throws IOException {
        writeFashion(2, 0, 28, 28, (byte) 1);
        assertEquals("fashion-mnist: " + dir.resolve("t10k-images-idx3-ubyte") + " holds 0 images, expected at least 1",
                fashionError());
        writeFashion(0, 2, 28, 28, (byte) 1);
        assertEquals("fashion-mnist: " + dir.resolve("train-images-idx3-ubyte") + " holds 0 images, expected at least 1",
                fashionError());
    }

    /** The model is built for 28x28 images and 10 classes: other files fail when read, not in the first forward pass. */
    @Test void fashionMnistRejectsOtherImageSizesAndLabels() throws IOException {
        writeFashion(2, 1, 8, 8, (byte) 1);
        assertEquals("fashion-mnist: " + dir.resolve("train-images-idx3-ubyte") + " holds 8x8 images, expected 28x28",
                fashionError());
        writeFashion(2, 1, 28, 27, (byte) 1);
        assertEquals("fashion-mnist: " + dir.resolve("train-images-idx3-ubyte") + " holds 28x27 images, expected 28x28",
                fashionError());
        writeFashion(2, 1, 28, 28, (byte) 10);
        assertEquals("fashion-mnist: " + dir.resolve("train-labels-idx1-ubyte") + " holds label 10 at index 0, expected 0 to 9",
                fashionError());
        writeFashion(2, 1, 28, 28, (byte) 255);
        assertTrue(fashionError().contains("holds label 255 at index 0, expected 0 to 9"));
    }

    @Test void fashionMnistMissingSaysHowToInstall() throws IOException {
        String m = fashionError();   // one line
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains("train-images-idx3-ubyte"), m);
    }

    @Test void fashionMnistRejectsMismatchedLabels() throws IOException {
        writeFashion(2, 1, 28, 28, (byte) 1);
        Files.write(dir.resolve("train-labels-idx1-ubyte"), IdxTestFiles.idx(new int[] {3}, new byte[3]));
        assertTrue(fashionError().contains("expected [2]"));
    }
}
