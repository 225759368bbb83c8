package dev.conv4j.train;

import dev.conv4j.Check;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Mini-batch training of a classifier: each epoch visits the training images once in a
 * seeded random order (the last batch may be smaller), runs forward, softmax cross-entropy,
 * backward and one optimizer step per batch, then measures accuracy on the test set in
 * inference mode.
 */
public final class Trainer {
    private Trainer() {}

    /**
     * @param epochs    passes over the training set, &gt;= 1
     * @param batchSize images per step, &gt;= 1
     * @param seed      seed of the shuffling
     * @param evalBatch images per forward when measuring accuracy, &gt;= 1
     * @param cosine    whether the learning rate follows a cosine from the optimizer's rate
     *                  at epoch 1 towards 0 ({@code lr_e = lr · (1 + cos(π·(e−1)/epochs)) / 2},
     *                  PyTorch's {@code CosineAnnealingLR(T_max=epochs)} stepped per epoch), or
     *                  stays constant
     */
    public record Settings(int epochs, int batchSize, long seed, int evalBatch, boolean cosine) {
        public Settings {
            Check.arg(epochs >= 1, "epochs: must be >= 1, got %d", epochs);
            Check.arg(batchSize >= 1, "batch: must be >= 1, got %d", batchSize);
            Check.arg(evalBatch >= 1, "eval_batch: must be >= 1, got %d", evalBatch);
        }
    }

    /**
     * What one epoch measured.
     *
     * @param trainLoss       mean loss over the epoch's batches (each weighted by its size)
     * @param testAccuracy    fraction of test images classified correctly after the epoch
     * @param trainSeconds    wall time of the training pass (without the test pass)
     * @param imagesPerSecond training images per second of {@code trainSeconds}
     * @param convSeconds     part of {@code trainSeconds} spent in convolution layers
     * @param otherSeconds    the rest: other layers, loss, optimizer, batch assembly
     * @param evalSeconds     wall time of the test pass
     * @param layerSeconds    time per layer (forward + backward) during the training pass
     * @param optimizerSeconds time in {@link Optimizer#zeroGrad()} and {@link Optimizer#step()}
     */
    public record Epoch(int epoch, int epochs, double trainLoss, double testAccuracy, double trainSeconds,
                        double imagesPerSecond, double convSeconds, double otherSeconds, double evalSeconds,
                        double[] layerSeconds, double optimizerSeconds) {}

    /** Called as training goes; both methods run on the training thread. */
    public interface Listener {
        /** After each batch: {@code done} of {@code total} batches, mean loss so far this epoch. */
        default void batch(int epoch, int done, int total, double meanLoss) {}

        /** After each epoch. */
        default void epoch(Epoch e) {}
    }

    /**
     * Trains {@code model} and returns one record per epoch.
     *
     * @param model     a classifier from images {@code [N, C, H, W]} to logits {@code [N, classes]}; trained
     * @param optimizer updates {@code model}'s parameters; stepped
     * @param train     training images; read
     * @param test      test images; read
     */
    public static List<Epoch> fit(Sequential model, Optimizer optimizer, Dataset train, Dataset test,
                                  Settings settings, Listener listener) {
        Check.arg(train.size() >= 1, "train: the training set is empty");
        SplittableRandom shuffle = new SplittableRandom(settings.seed());
        SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
        Batches batches = new Batches(train);
        List<Epoch> history = new ArrayList<>();
        int steps = (train.size() + settings.batchSize() - 1) / settings.batchSize();
        double baseLr = optimizer.learningRate();
        for (int epoch = 1; epoch <= settings.epochs(); epoch++) {
            if (settings.cosine()) {
                optimizer.setLearningRate(baseLr * (1 + Math.cos(Math.PI * (epoch - 1) / settings.epochs())) / 2);
            }
            model.train();
            model.resetTimes();
            int[] order = Dataset.permutation(train.size(), shuffle);
            double lossSum = 0;
            long optNanos = 0;
            long start = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                int from = s * settings.batchSize();
                int n = Math.min(settings.batchSize(), train.size() - from);
                Tensor x = batches.fill(order, from, n);
                long t0 = System.nanoTime();
                optimizer.zeroGrad();
                optNanos += System.nanoTime() - t0;
                Tensor logits = model.forward(x);
                Tensor grad = batches.gradFor(logits.shape());
                lossSum += loss.compute(logits, batches.labels, 0, grad) * n;
                model.backward(grad);
                t0 = System.nanoTime();
                optimizer.step();
                optNanos += System.nanoTime() - t0;
                listener.batch(epoch, s + 1, steps, lossSum / (from + n));
            }
            double trainSeconds = (System.nanoTime() - start) / 1e9;
            double conv = model.convNanos() / 1e9;
            long[] perLayer = model.layerNanos();
            double[] layerSeconds = new double[perLayer.length];
            for (int i = 0; i < perLayer.length; i++) {
                layerSeconds[i] = perLayer[i] / 1e9;
            }
            long evalStart = System.nanoTime();
            double accuracy = accuracy(model, test, settings.evalBatch());
            double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
            Epoch e = new Epoch(epoch, settings.epochs(), lossSum / train.size(), accuracy, trainSeconds,
                    train.size() / trainSeconds, conv, trainSeconds - conv, evalSeconds, layerSeconds, optNanos / 1e9);
            history.add(e);
            listener.epoch(e);
        }
        model.train();
        optimizer.setLearningRate(baseLr);
        return history;
    }

    /**
     * The fraction of {@code data} that {@code model} classifies correctly (arg-max of the
     * logits), computed in inference mode; the model is left in inference mode.
     */
    public static double accuracy(Sequential model, Dataset data, int batchSize) {
        Check.arg(batchSize >= 1, "eval_batch: must be >= 1, got %d", batchSize);
        if (data.size() == 0) {
            return 0;
        }
        model.eval();
        Batches batches = new Batches(data);
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int[] predicted = new int[Math.min(batchSize, data.size())];
        int correct = 0;
        for (int from = 0; from < data.size(); from += batchSize) {
            int n = Math.min(batchSize, data.size() - from);
            Tensor logits = model.forward(batches.fill(order, from, n));
            SoftmaxCrossEntropy.argmax(logits, predicted);
            for (int i = 0; i < n; i++) {
                if (predicted[i] == batches.labels[i]) {
                    correct++;
                }
            }
        }
        return (double) correct / data.size();
    }

    /** Input tensors and label arrays per batch size, reused across batches. */
    private static final class Batches {
        private final Dataset data;
        private final Map<Integer, Tensor> inputs = new HashMap<>();
        private final Map<Shape, Tensor> grads = new HashMap<>();
        private float[] staging = new float[0];
        int[] labels = new int[0];

        Batches(Dataset data) {
            this.data = data;
        }

        /** Images {@code order[from .. from+n)} as an off-heap tensor {@code [n, C, H, W]}; their labels into {@link #labels}. */
        Tensor fill(int[] order, int from, int n) {
            Tensor x = inputs.computeIfAbsent(n, k -> Tensor.allocate(
                    Shape.of(k, data.channels(), data.height(), data.width()), Layout.CHANNELS_FIRST));
            int per = data.imageSize();
            if (staging.length < n * per) {
                staging = new float[n * per];
            }
            if (labels.length < n) {
                labels = new int[n];
            }
            for (int i = 0; i < n; i++) {
                data.copyImage(order[from + i], staging, i * per);
                labels[i] = data.label(order[from + i]);
            }
            x.buffer().put(0, staging, 0, n * per);
            x.markModified();
            return x;
        }

        Tensor gradFor(Shape logits) {
            return grads.computeIfAbsent(logits, s -> Tensor.onHeap("logits", s, Layout.CHANNELS_FIRST));
        }
    }
}
