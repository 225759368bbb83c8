package dev.conv4j.train;

import dev.conv4j.engine.Engine;
import dev.conv4j.nn.Conv2d;
import java.util.SplittableRandom;

/**
 * The networks {@code conv4j train} trains. Convolutions are {@link Conv2d} layers on the
 * given engine; the rest are this package's Java layers. Every initial weight and dropout
 * mask follows from {@code seed}.
 */
public final class Models {
    private Models() {}

    /**
     * A small CNN for the 8×8 UCI digits: conv 3×3 → 16 {@code same} + ReLU, max-pool 2,
     * conv 3×3 → 32 {@code same} + ReLU, max-pool 2, dense 128 → 64 + ReLU, dense 10.
     * 13,706 parameters.
     */
    public static Sequential digits(Engine engine, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        return new Sequential(
                conv(1, 16, 3, engine, seeds), new ReLU(), new MaxPool2d(2),
                conv(16, 32, 3, engine, seeds), new ReLU(), new MaxPool2d(2),
                new Flatten(),
                new Dense(32 * 2 * 2, 64, seeds.nextLong()), new ReLU(),
                new Dense(64, 10, seeds.nextLong()));
    }

    /**
     * The Fashion-MNIST benchmark's "2 Conv + pooling" network (the TensorFlow layers
     * tutorial's model) for 28×28 images: conv 5×5 → 32 {@code same} + ReLU, max-pool 2,
     * conv 5×5 → 64 {@code same} + ReLU, max-pool 2, dense 3136 → 1024 + ReLU, dropout 0.4,
     * dense 10. 3,274,634 parameters.
     */
    public static Sequential fashionMnist(Engine engine, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        return new Sequential(
                conv(1, 32, 5, engine, seeds), new ReLU(), new MaxPool2d(2),
                conv(32, 64, 5, engine, seeds), new ReLU(), new MaxPool2d(2),
                new Flatten(),
                new Dense(64 * 7 * 7, 1024, seeds.nextLong()), new ReLU(),
                new Dropout(0.4, seeds.nextLong()),
                new Dense(1024, 10, seeds.nextLong()));
    }

    private static Conv2d conv(int in, int out, int k, Engine engine, SplittableRandom seeds) {
        return Conv2d.builder(in, out, k).padding("same").engine(engine).seed(seeds.nextLong()).build();
    }
}
