package dev.conv4j.train;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.nn.Conv2d;
import java.util.SplittableRandom;

/**
 * The networks {@code conv4j train} trains. Convolutions are {@link Conv2d} layers on the
 * given engine, and so are the products of the {@link Dense} layers (as 1×1 convolutions); the
 * rest are this package's Java layers. Every initial weight and dropout mask follows from
 * {@code seed}.
 */
public final class Models {
    private Models() {}

    /**
     * A small CNN for the 8×8 UCI digits (the shape of Keras' MNIST example, scaled down):
     * conv 3×3 → 32 {@code same} + ReLU, conv 3×3 → 64 {@code same} + ReLU, max-pool 2,
     * dropout 0.25, dense 1024 → 128 + ReLU, dropout 0.5, dense 10. 151,306 parameters.
     */
    public static Sequential digits(Engine engine, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        return new Sequential(
                conv(1, 32, 3, engine, seeds), new ReLU(),
                conv(32, 64, 3, engine, seeds), new ReLU(), new MaxPool2d(2),
                new Dropout(0.25, seeds.nextLong()),
                new Flatten(),
                new Dense(64 * 4 * 4, 128, true, seeds.nextLong(), engine), new ReLU(),
                new Dropout(0.5, seeds.nextLong()),
                new Dense(128, 10, true, seeds.nextLong(), engine));
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
                new Dense(64 * 7 * 7, 1024, true, seeds.nextLong(), engine), new ReLU(),
                new Dropout(0.4, seeds.nextLong()),
                new Dense(1024, 10, true, seeds.nextLong(), engine));
    }

    /**
     * A training run repeats each shape hundreds of times, so {@link LayoutPolicy#AUTO}'s
     * timing at the first step pays: on fashion-mnist's first layer it picked channels-last
     * copies for the weight gradient, twice as fast as oneDNN's own choice.
     */
    private static Conv2d conv(int in, int out, int k, Engine engine, SplittableRandom seeds) {
        return Conv2d.builder(in, out, k).padding("same").engine(engine).layoutPolicy(LayoutPolicy.AUTO).seed(seeds.nextLong()).build();
    }
}
