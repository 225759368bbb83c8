package dev.conv4j.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Gzip-compressed input recognised by its content, whatever the file is named: the IDX and
 * CSV readers take a file plain or compressed, as data sets are shipped either way.
 */
final class Gzip {
    private Gzip() {}

    /** {@code in} itself if it supports mark and reset, else {@code in} buffered, so that {@link #startsWithMagic} can look ahead. */
    static InputStream markable(InputStream in) {
        return in.markSupported() ? in : new BufferedInputStream(in);
    }

    /**
     * Whether {@code in} starts with gzip's magic bytes {@code 0x1f 0x8b}; consumes nothing.
     *
     * @param in a stream from {@link #markable}
     */
    static boolean startsWithMagic(InputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b;
    }
}
