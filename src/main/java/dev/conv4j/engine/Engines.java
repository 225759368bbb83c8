package dev.conv4j.engine;

import dev.conv4j.NativeBackendException;
import dev.conv4j.onednn.OneDnnEngine;
import dev.conv4j.reference.ReferenceEngine;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/** The engines conv4j ships. */
public final class Engines {
    private Engines() {}

    /** The pure-Java reference engine: the formula, literally; the oracle for checks. */
    public static Engine reference() {
        return ReferenceEngine.INSTANCE;
    }

    /**
     * The oneDNN engine.
     *
     * @throws NativeBackendException naming the platform and the missing artifact when the
     *         native library cannot load here
     * @throws IllegalArgumentException naming the setting when a native-config setting is wrong
     */
    public static Engine onednn() {
        return OneDnnEngine.get();
    }

    /** Whether {@link #best()} has warned of its fallback in this process. */
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /**
     * oneDNN when its native library loads on this machine, else the reference engine, with
     * a one-line warning on stderr saying why: once per process, however many calls (and
     * threads) ask.
     *
     * @throws IllegalArgumentException if a native-config setting is wrong: a mistake to fix,
     *         not a reason to run without oneDNN
     */
    public static Engine best() {
        return best(Engines::onednn, System.err, WARNED);
    }

    static Engine best(Supplier<Engine> onednn, PrintStream warnings) {
        return best(onednn, warnings, new AtomicBoolean());
    }

    private static Engine best(Supplier<Engine> onednn, PrintStream warnings, AtomicBoolean warned) {
        try {
            return onednn.get();
        } catch (NativeBackendException e) {   // only a load failure; a settings error (IllegalArgumentException) propagates
            if (warned.compareAndSet(false, true)) {
                warnings.println("warning: falling back to the reference engine: " + e.getMessage());
            }
            return reference();
        }
    }

    /**
     * The engine named {@code onednn}, {@code reference} or {@code best} (any case).
     *
     * @throws IllegalArgumentException for any other name
     */
    public static Engine byName(String name) {
        String v = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "onednn" -> onednn();
            case "reference" -> reference();
            case "best" -> best();
            default -> throw new IllegalArgumentException(
                    "engine: unknown engine '" + name + "', expected onednn, reference or best");
        };
    }
}
