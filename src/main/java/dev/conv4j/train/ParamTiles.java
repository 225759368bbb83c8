package dev.conv4j.train;

import dev.conv4j.nn.Parameter;
import java.nio.FloatBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Runs an optimizer's element-wise update over a parameter's value and gradient in tiles of
 * {@value #TILE} elements: each tile is copied from the off-heap buffers into two small arrays,
 * updated there (plain array loops, which HotSpot vectorizes) and the value copied back, the
 * tiles split over the fork-join pool and the caller.
 *
 * <p>Why tiles: a tile stays in the core's cache between its copy in, its update and its copy
 * out, so a step reads the value and gradient from memory once and writes the value once. With
 * whole-parameter copies, a 512×512×3×3 weight (9.4 MB) was streamed through memory three
 * more times, one thread at a time.
 */
final class ParamTiles {
    private ParamTiles() {}

    static final int TILE = 4096;

    /**
     * Tile pairs (value, gradient) free for a chunk to take, reused by every step so that a step
     * allocates none. A pool, not a ThreadLocal: the common fork-join pool clears its workers'
     * thread-locals after each task (a pair per step per worker, measured). At most one chunk
     * per thread runs at a time; a pair missing under more concurrency is allocated, and one
     * beyond the pool's capacity dropped.
     */
    private static final ArrayBlockingQueue<float[][]> FREE = new ArrayBlockingQueue<>(4 * Parallel.threads());

    /** An update of one tile: {@code value[0, len)} and {@code grad[0, len)} are elements {@code [offset, offset + len)}. */
    @FunctionalInterface
    interface Update {
        void apply(float[] value, float[] grad, int offset, int len);
    }

    /** Applies {@code update} to every element of {@code p}, then marks its value modified. */
    static void update(Parameter p, Update update) {
        FloatBuffer value = p.value().buffer();
        FloatBuffer grad = p.grad().buffer();
        Parallel.forRange(p.value().size(), 1 << 16, (from, to) -> {
            float[][] tiles = FREE.poll();
            if (tiles == null) {
                tiles = new float[2][TILE];
            }
            float[] w = tiles[0];
            float[] g = tiles[1];
            for (int off = from; off < to; off += TILE) {
                int len = Math.min(TILE, to - off);
                // Absolute bulk transfers: chunks on other threads use the same buffers.
                value.get(off, w, 0, len);
                grad.get(off, g, 0, len);
                update.apply(w, g, off, len);
                value.put(off, w, 0, len);
            }
            FREE.offer(tiles);
        });
        p.markModified();
    }
}
