package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.engine.Engine;
import dev.conv4j.io.PngFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One {@code conv4j train} run: loads the data set, builds its model, trains it and prints
 * one line per epoch, ending with {@code test accuracy: 0.XXXX}.
 *
 * <p>Defaults per data set (each overridable):
 * <table>
 *   <caption>defaults</caption>
 *   <tr><th>data set</th><th>epochs</th><th>batch</th><th>optimizer</th><th>test set</th></tr>
 *   <tr><td>digits</td><td>20</td><td>32</td><td>Adam, lr 0.002</td>
 *       <td>20% held out (seed {@value #DIGITS_SPLIT_SEED}, fixed so that runs compare)</td></tr>
 *   <tr><td>fashion-mnist</td><td>10</td><td>100</td><td>Adam, lr 0.001</td><td>the 10,000 test images</td></tr>
 * </table>
 */
public final class TrainingRun {
    private TrainingRun() {}

    /** The seed of the digits held-out split: the same test images whatever {@code --seed} is. */
    public static final long DIGITS_SPLIT_SEED = 1797;

    /**
     * A run's settings; {@code null} values take the data set's default.
     *
     * @param dataset   {@code digits} or {@code fashion-mnist}
     * @param epochs    passes over the training set, {@code >= 1} (null: default)
     * @param batch     images per step, {@code >= 1} (null: default)
     * @param lr        learning rate, {@code > 0} (null: default)
     * @param optimizer {@code adam} or {@code sgd} (null: adam)
     * @param momentum  SGD momentum, only with optimizer {@code sgd} (null: 0.9)
     * @param seed      seed of initial weights, dropout masks and shuffling
     * @param cosine    cosine learning-rate decay over the epochs (else constant)
     * @param engine    the engine the convolutions run on
     * @param data      directory of the Fashion-MNIST IDX files, only with {@code fashion-mnist}
     *                  (null: the Debian package's)
     * @param curve     PNG file for the loss/accuracy chart ({@code .png}, writable), or null
     * @param progress  whether to draw a progress bar on {@code err}
     * @param profile   whether to print the time per layer after the last epoch
     */
    public record Config(String dataset, Integer epochs, Integer batch, Double lr, String optimizer, Double momentum,
                         long seed, boolean cosine, Engine engine, Path data, Path curve, boolean progress,
                         boolean profile) {}

    /** What a run produced. */
    public record Result(List<Trainer.Epoch> epochs, double testAccuracy, double seconds) {}

    /**
     * Runs {@code c}, printing to {@code out} (results) and {@code err} (progress bar).
     *
     * @throws IllegalArgumentException for an unknown data set or optimizer, a bad value, an
     *         option that does not apply, a curve file that cannot be written (all checked
     *         before any data is read), or missing data files (one line, saying how to get them)
     */
    public static Result run(Config c, PrintWriter out, PrintWriter err) {
        String name = c.dataset() == null ? "" : c.dataset().trim().toLowerCase(Locale.ROOT);
        boolean digits = name.equals("digits");
        Check.arg(digits || name.equals("fashion-mnist"),
                "dataset: unknown data set '%s', expected digits or fashion-mnist", c.dataset());
        // A given value is checked as given: 0 is not "the default" (null is).
        Check.arg(c.epochs() == null || c.epochs() >= 1, "epochs: must be >= 1, got %s", c.epochs());
        Check.arg(c.batch() == null || c.batch() >= 1, "batch: must be >= 1, got %s", c.batch());
        Check.arg(c.lr() == null || (c.lr() > 0 && Double.isFinite(c.lr())), "lr: must be > 0 and finite, got %s", c.lr());
        int epochs = c.epochs() != null ? c.epochs() : digits ? 20 : 10;
        int batch = c.batch() != null ? c.batch() : digits ? 32 : 100;
        double lr = c.lr() != null ? c.lr() : digits ? 0.002 : 0.001;
        String opt = c.optimizer() == null ? "adam" : c.optimizer().trim().toLowerCase(Locale.ROOT);
        Check.arg(opt.equals("adam") || opt.equals("sgd"), "optimizer: unknown optimizer '%s', expected adam or sgd",
                c.optimizer());
        // An option that does not apply is an error, not silently ignored.
        Check.arg(c.momentum() == null || opt.equals("sgd"),
                "momentum: only --optimizer sgd takes a momentum, got %s with --optimizer %s", c.momentum(), opt);
        double momentum = c.momentum() != null ? c.momentum() : 0.9;
        Sgd.checkMomentum(momentum);
        Check.arg(c.data() == null || !digits,
                "data: only --dataset fashion-mnist reads a data directory, got '%s' with --dataset digits", c.data());
        if (c.curve() != null) {
            PngFile.checkWritable("curve", c.curve());   // now, not after the whole training
        }

        Dataset.Split split = digits ? Datasets.digits().split(0.2, DIGITS_SPLIT_SEED) : Datasets.fashionMnist(c.data());
        long start = System.nanoTime();
        try (Sequential model = digits ? Models.digits(c.engine(), c.seed()) : Models.fashionMnist(c.engine(), c.seed())) {
            Optimizer optimizer = opt.equals("adam") ? new Adam(model.parameters(), lr)
                    : new Sgd(model.parameters(), lr, momentum, 0);
            out.printf(Locale.ROOT, "data: %s, %d training and %d test images of [%d, %d, %d], %d classes%n",
                    name, split.train().size(), split.test().size(), split.train().channels(),
                    split.train().height(), split.train().width(), split.train().classes());
            out.printf(Locale.ROOT, "model: %s, %,d parameters%n", model, model.parameterCount());
            out.printf(Locale.ROOT, "training: %d epochs, batch %d, %s%s, seed %d, convolutions on %s, %d Java threads%n",
                    epochs, batch, optimizer, c.cosine() ? " with cosine decay" : "", c.seed(), c.engine().name(), Parallel.threads());
            ProgressBar bar = c.progress() ? new ProgressBar(err) : null;
            Trainer.Listener listener = new Trainer.Listener() {
                @Override public void batch(int epoch, int done, int total, double meanLoss) {
                    if (bar != null) {
                        bar.update(epoch, epochs, done, total, meanLoss);
                    }
                }

                @Override public void epoch(Trainer.Epoch e) {
                    if (bar != null) {
                        bar.clear();
                    }
                    out.println(epochLine(e));
                    out.flush();
                }
            };
            // Evaluation batches: the 359 digits test images in one forward; Fashion-MNIST's 10,000
            // in 20 of the same shape.
            List<Trainer.Epoch> history = Trainer.fit(model, optimizer, split.train(), split.test(),
                    new Trainer.Settings(epochs, batch, c.seed(), digits ? 512 : 500, c.cosine()), listener);
            if (c.profile()) {
                printProfile(model, history, out);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Trainer.Epoch last = history.get(history.size() - 1);
            if (c.curve() != null) {
                try {
                    TrainingCurve.write(history, "conv4j train --dataset " + name,
                            String.format(Locale.ROOT, "%,d parameters, batch %d, %s%s, engine %s; final test accuracy %.4f",
                                    model.parameterCount(), batch, optimizer, c.cosine() ? ", cosine decay" : "",
                                    c.engine().name(), last.testAccuracy()), c.curve());
                } catch (IOException e) {
                    throw new UncheckedIOException("curve: cannot write " + c.curve() + ": " + e.getMessage(), e);
                }
                out.println("curve: " + c.curve());
            }
            out.printf(Locale.ROOT, "total time: %.1f s%n", seconds);
            out.printf(Locale.ROOT, "test accuracy: %.4f%n", last.testAccuracy());
            return new Result(history, last.testAccuracy(), seconds);
        }
    }

    /**
     * {@code epoch 1/10  loss 0.4567  test accuracy 0.8765  time 45.2 s  1327 images/s  conv 30.1 s (67%)  other 15.1 s}.
     * {@code scripts/train-pytorch.py} prints the same line without the split.
     */
    public static String epochLine(Trainer.Epoch e) {
        return String.format(Locale.ROOT,
                "epoch %d/%d  loss %.4f  test accuracy %.4f  time %.2f s  %.0f images/s  conv %.2f s (%.0f%%)  other %.2f s",
                e.epoch(), e.epochs(), e.trainLoss(), e.testAccuracy(), e.trainSeconds(), e.imagesPerSecond(),
                e.convSeconds(), 100 * e.convSeconds() / e.trainSeconds(), e.otherSeconds());
    }

    private static void printProfile(Sequential model, List<Trainer.Epoch> history, PrintWriter out) {
        double[] total = new double[model.layers().size()];
        double train = 0;
        double opt = 0;
        for (Trainer.Epoch e : history) {
            for (int i = 0; i < total.length; i++) {
                total[i] += e.layerSeconds()[i];
            }
            train += e.trainSeconds();
            opt += e.optimizerSeconds();
        }
        out.printf(Locale.ROOT, "time per layer over %d epochs (forward + backward, %.1f s of training):%n",
                history.size(), train);
        double layers = 0;
        for (int i = 0; i < total.length; i++) {
            layers += total[i];
            out.printf(Locale.ROOT, "  %-45s %8.2f s %5.1f%%%n", model.layers().get(i), total[i], 100 * total[i] / train);
        }
        out.printf(Locale.ROOT, "  %-45s %8.2f s %5.1f%%%n", "optimizer (zero_grad + step)", opt, 100 * opt / train);
        double rest = train - layers - opt;
        out.printf(Locale.ROOT, "  %-45s %8.2f s %5.1f%%%n", "loss, batch assembly, other", rest, 100 * rest / train);
    }
}
