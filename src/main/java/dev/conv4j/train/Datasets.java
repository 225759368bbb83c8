package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.io.Idx;
import dev.conv4j.io.LabeledCsv;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The data sets {@code conv4j train} knows.
 *
 * <ul>
 *   <li>{@link #digits()}: the UCI optical recognition of handwritten digits set (E. Alpaydin,
 *       C. Kaynak, UCI Machine Learning Repository, 1998, CC BY 4.0), 1,797 images of 8×8
 *       pixels with values 0..16, shipped inside conv4j; scaled to [0, 1].</li>
 *   <li>{@link #fashionMnist(Path)}: Fashion-MNIST (H. Xiao, K. Rasul, R. Vollgraf, 2017,
 *       MIT license), 60,000 training and 10,000 test images of 28×28 pixels in IDX files;
 *       scaled to [0, 1]. Debian ships them in the package {@code dataset-fashion-mnist}.</li>
 * </ul>
 */
public final class Datasets {
    private Datasets() {}

    /** The class path resource of the bundled digits set. */
    public static final String DIGITS_RESOURCE = "/datasets/uci-digits/digits.csv.gz";

    /** Where Debian's {@code dataset-fashion-mnist} package puts the IDX files. */
    public static final Path FASHION_MNIST_DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Fashion-MNIST's image size: 28×28 pixels, one channel. */
    static final int FASHION_MNIST_SIZE = 28;

    /** Fashion-MNIST's classes: labels 0 to 9. */
    static final int FASHION_MNIST_CLASSES = 10;

    /** The four Fashion-MNIST files (the {@code .gz} or the uncompressed name is accepted). */
    static final String[] FASHION_MNIST_FILES = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

    /** The bundled UCI digits: 1,797 images {@code [1, 8, 8]}, values in [0, 1], 10 classes. */
    public static Dataset digits() {
        try (InputStream in = Datasets.class.getResourceAsStream(DIGITS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("digits: resource " + DIGITS_RESOURCE + " is missing from the class path");
            }
            LabeledCsv.Samples s = LabeledCsv.read(in, "digits.csv.gz", 64);
            float[] x = s.values();
            for (int i = 0; i < x.length; i++) {
                x[i] /= 16f;
            }
            return new Dataset("digits", 1, 8, 8, 10, x, s.labels());
        } catch (IOException e) {
            throw new UncheckedIOException("digits: cannot read " + DIGITS_RESOURCE, e);
        }
    }

    /**
     * Fashion-MNIST from {@code dir} ({@code train-images-idx3-ubyte[.gz]} and the three other
     * files): training and test sets of {@code [1, 28, 28]} images, values in [0, 1].
     *
     * @param dir the directory of the IDX files, or {@code null} for
     *            {@link #FASHION_MNIST_DEFAULT_DIR}
     * @throws IllegalArgumentException (one line, naming the file) if {@code dir} is not a
     *         directory, if a file is missing (saying how to install the files), if a set is empty, if the images are not 28×28, if a
     *         label is outside 0..9, or if the files do not hold matching images and labels
     */
    public static Dataset.Split fashionMnist(Path dir) {
        // A directory the user named and mistyped is not a data set to install.
        // "" would be the working directory, and the error for a missing file read "not found in ;"
        Check.arg(dir == null || !dir.toString().isEmpty(), "data: must not be empty: give the directory of the IDX files");
        Check.arg(dir == null || Files.isDirectory(dir), "data: no directory '%s'", dir);
        Path d = dir == null ? FASHION_MNIST_DEFAULT_DIR : dir;
        Path[] files = new Path[FASHION_MNIST_FILES.length];
        for (int i = 0; i < files.length; i++) {
            files[i] = find(d, FASHION_MNIST_FILES[i]);
        }
        Dataset train = fromIdx("fashion-mnist/train", files[0], files[1]);
        Dataset test = fromIdx("fashion-mnist/test", files[2], files[3]);
        return new Dataset.Split(train, test);
    }

    private static Path find(Path dir, String base) {
        Path gz = dir.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(base);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        throw new IllegalArgumentException("fashion-mnist: " + base + "[.gz] not found in " + dir
                + "; install the data set with `apt-get install dataset-fashion-mnist` or pass --data DIR");
    }

    /**
     * A data set from an IDX image file {@code [n, 28, 28]} and an IDX label file {@code [n]}
     * of labels 0..9, {@code n >= 1}: the model's shapes are fixed, so anything else is
     * rejected here, naming the file, and not at the first forward pass.
     */
    static Dataset fromIdx(String name, Path imageFile, Path labelFile) {
        Idx.UbyteArray images = Idx.readUbyte(imageFile, "fashion-mnist");
        int[] dims = images.dims();
        Check.arg(dims.length == 3, "fashion-mnist: %s has dimensions %s, expected [count, rows, columns]",
                imageFile, Arrays.toString(dims));
        Check.arg(dims[0] >= 1, "fashion-mnist: %s holds 0 images, expected at least 1", imageFile);
        Check.arg(dims[1] == FASHION_MNIST_SIZE && dims[2] == FASHION_MNIST_SIZE,
                "fashion-mnist: %s holds %dx%d images, expected %dx%d", imageFile, dims[1], dims[2],
                FASHION_MNIST_SIZE, FASHION_MNIST_SIZE);
        Idx.UbyteArray labels = Idx.readUbyte(labelFile, "fashion-mnist");
        Check.arg(labels.dims().length == 1 && labels.dims()[0] == dims[0],
                "fashion-mnist: %s has dimensions %s, expected [%d] to match %s",
                labelFile, Arrays.toString(labels.dims()), dims[0], imageFile);
        float[] x = new float[images.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = images.get(i) / 255f;
        }
        int[] y = new int[labels.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.get(i);
            Check.arg(y[i] < FASHION_MNIST_CLASSES, "fashion-mnist: %s holds label %d at index %d, expected 0 to %d",
                    labelFile, y[i], i, FASHION_MNIST_CLASSES - 1);
        }
        return new Dataset(name, 1, dims[1], dims[2], FASHION_MNIST_CLASSES, x, y);
    }
}
