package dev.conv4j;

import java.util.Locale;

/**
 * The one argument checker: a failed check is an {@link IllegalArgumentException} whose
 * one-line message names the parameter, the value and the rule.
 */
public final class Check {
    private Check() {}

    /** Throws {@code IllegalArgumentException(String.format(fmt, args))} unless {@code ok}. */
    public static void arg(boolean ok, String fmt, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, fmt, args));
        }
    }

    /** {@code text}, or its first {@code max} characters and "...": for quoting user input in a one-line message. */
    public static String abbreviate(String text, int max) {
        return text.length() > max ? text.substring(0, max) + "..." : text;
    }

    /** Throws {@code IllegalStateException(String.format(fmt, args))} unless {@code ok}. */
    public static void state(boolean ok, String fmt, Object... args) {
        if (!ok) {
            throw new IllegalStateException(String.format(Locale.ROOT, fmt, args));
        }
    }
}
