package dev.conv4j;

import java.util.Locale;

/** What a plan computes; the names are benchdnn's ({@code --dir=FWD_B, BWD_D, BWD_W}). */
public enum Direction {
    /** Forward: {@code dst = conv(src, wei) + bia}. */
    FWD,
    /** Backward data: {@code diffSrc} from {@code diffDst} and {@code wei}. */
    BWD_D,
    /** Backward weights: {@code diffWei} and {@code diffBia} from {@code src} and {@code diffDst}. */
    BWD_W;

    /** Parses {@code fwd}, {@code bwd_d}, {@code bwd_w} (any case; benchdnn's {@code fwd_b}, {@code fwd_d}, {@code fwd_i} mean FWD). */
    public static Direction parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "fwd": case "fwd_b": case "fwd_d": case "fwd_i": return FWD;
            case "bwd_d": return BWD_D;
            case "bwd_w": case "bwd_wb": return BWD_W;
            default:
                throw new IllegalArgumentException(
                        "dir: unknown direction '" + s + "', expected fwd, bwd_d or bwd_w");
        }
    }

    /** The lower-case name used by the CLI and the CSV output. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
