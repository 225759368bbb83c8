package dev.conv4j.nn;

import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Engines;

/**
 * Process-wide defaults of the {@code nn} layers. A layer built without
 * {@link ConvLayer.Builder#engine} takes {@link #defaultEngine()} when it is built.
 */
public final class Layers {
    private static volatile Engine defaultEngine;
    private static volatile Engine best;

    private Layers() {}

    /**
     * The engine new layers use unless told otherwise: the one set here, else
     * {@link Engines#best()} (oneDNN where its native library loads, the reference engine
     * otherwise).
     */
    public static Engine defaultEngine() {
        Engine e = defaultEngine;
        if (e != null) {
            return e;
        }
        Engine b = best;
        if (b == null) {
            b = Engines.best();   // resolved once, so a fallback warns once, not per layer
            best = b;
        }
        return b;
    }

    /**
     * Sets the engine that layers built from now on use by default; {@code null} restores the
     * built-in default. Layers already built keep theirs.
     */
    public static void setDefaultEngine(Engine engine) {
        defaultEngine = engine;
    }
}
