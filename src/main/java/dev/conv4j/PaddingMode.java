package dev.conv4j;

import java.util.Objects;

/**
 * What fills the padding (PyTorch's {@code padding_mode}). Only {@link #ZEROS} is allowed for
 * transposed convolutions, as in PyTorch.
 */
public enum PaddingMode {
    /** Zeros outside the input. */
    ZEROS,
    /** Mirror without repeating the edge: {@code x[-1] = x[1]}; needs padding &lt; input size. */
    REFLECT,
    /** Repeat the edge: {@code x[-1] = x[0]}. */
    REPLICATE,
    /** Wrap around: {@code x[-1] = x[i - 1]}; needs padding &lt;= input size. */
    CIRCULAR;

    /** Parses {@code zeros|reflect|replicate|circular} (any case). */
    public static PaddingMode parse(String s) {
        Objects.requireNonNull(s, "padding_mode");
        for (PaddingMode m : values()) {
            if (m.name().equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException(
                "padding_mode: unknown mode '" + s + "', expected zeros, reflect, replicate or circular");
    }
}
