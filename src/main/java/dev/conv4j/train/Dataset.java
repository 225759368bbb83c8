package dev.conv4j.train;

import dev.conv4j.Check;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Labelled images in memory: {@code count} images of {@code [channels, height, width]} floats
 * (channels-first, image after image) and one class label per image.
 */
public final class Dataset {
    private final String name;
    private final int channels;
    private final int height;
    private final int width;
    private final int classes;
    private final float[] images;
    private final int[] labels;

    /**
     * @param name    a name for messages ({@code digits}, {@code fashion-mnist/train})
     * @param images  {@code labels.length · channels · height · width} values; kept, not copied
     * @param labels  class of each image, each in {@code [0, classes)}; kept, not copied
     * @throws IllegalArgumentException if the sizes do not agree or a label is out of range
     */
    public Dataset(String name, int channels, int height, int width, int classes, float[] images, int[] labels) {
        Check.arg(channels >= 1 && height >= 1 && width >= 1,
                "dataset: image shape must be positive, got [%d, %d, %d]", channels, height, width);
        Check.arg(classes >= 2, "dataset: classes must be >= 2, got %d", classes);
        Check.arg((long) labels.length * channels * height * width == images.length,
                "dataset: %s has %d labels but %d image values (expected %d per image)",
                name, labels.length, images.length, channels * height * width);
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i];
            Check.arg(label >= 0 && label < classes, "dataset: %s label %d of image %d is outside [0, %d)",
                    name, label, i, classes);
        }
        this.name = name;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classes = classes;
        this.images = images;
        this.labels = labels;
    }

    public String name() { return name; }
    public int size() { return labels.length; }
    public int channels() { return channels; }
    public int height() { return height; }
    public int width() { return width; }
    public int classes() { return classes; }
    /** Values per image: {@code channels · height · width}. */
    public int imageSize() { return channels * height * width; }
    /** Label of image {@code i}. */
    public int label(int i) { return labels[i]; }

    /** The image values, image after image (the dataset's own array: do not modify). */
    float[] images() { return images; }

    /** Copies image {@code i} into {@code dst} at {@code offset}. */
    public void copyImage(int i, float[] dst, int offset) {
        System.arraycopy(images, i * imageSize(), dst, offset, imageSize());
    }

    /** The images at {@code indices}, in that order, as a new data set. */
    public Dataset subset(String subsetName, int[] indices) {
        int per = imageSize();
        float[] x = new float[indices.length * per];
        int[] y = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            Check.arg(i >= 0 && i < size(), "indices: %d is outside [0, %d)", i, size());
            System.arraycopy(images, i * per, x, k * per, per);
            y[k] = labels[i];
        }
        return new Dataset(subsetName, channels, height, width, classes, x, y);
    }

    /** A training set and a held-out test set. */
    public record Split(Dataset train, Dataset test) {}

    /**
     * A deterministic held-out split: the images are shuffled with {@code seed}, and the first
     * {@code round(testFraction · size)} of the shuffled order are the test set.
     *
     * @param testFraction in {@code (0, 1)}
     */
    public Split split(double testFraction, long seed) {
        Check.arg(testFraction > 0 && testFraction < 1, "test_fraction: must be in (0, 1), got %s", testFraction);
        int[] order = permutation(size(), new SplittableRandom(seed));
        int nTest = (int) Math.round(testFraction * size());
        Check.arg(nTest >= 1 && nTest < size(), "test_fraction: %s of %d images leaves an empty part", testFraction, size());
        return new Split(subset(name + "/train", Arrays.copyOfRange(order, nTest, size())),
                subset(name + "/test", Arrays.copyOfRange(order, 0, nTest)));
    }

    /** A uniformly random permutation of {@code 0..n-1} (Fisher-Yates). */
    static int[] permutation(int n, SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Override public String toString() {
        return name + "[" + size() + " x " + channels + "x" + height + "x" + width + ", " + classes + " classes]";
    }
}
