package dev.conv4j.onednn;

import dev.conv4j.onednn.Pass.Role;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;

/**
 * A plan's copies of its activation inputs (source, destination gradient) reordered into the
 * layout a primitive computes in, shared by every pass that reads the same input in the same
 * layout.
 *
 * <p>Why: in a training step, backward-weights reads the source that forward already
 * reordered, and the destination gradient that backward-data reorders too (a layer runs them
 * in either order). With one shared copy, the second pass finds it current and skips its
 * reorder. A copy is current for a tensor when it was made from that same tensor at its
 * present {@link Tensor#version()}: the rule by which reordered weights are cached.
 */
final class ConvertedInputs implements AutoCloseable {

    /** One reordered copy and the tensor (and version) it was made from. */
    static final class Copy {
        final Role role;
        final memory mem;
        private int users;
        private Tensor from;
        private long version;

        private Copy(Role role, memory mem) {
            this.role = role;
            this.mem = mem;
        }

        /** Whether the copy holds {@code t}'s present contents. */
        boolean holds(Tensor t) {
            return t != null && t == from && t.version() == version;
        }

        void record(Tensor t) {
            from = t;
            version = t.version();
        }

        void forget() {
            from = null;
        }
    }

    private final List<Copy> copies = new ArrayList<>();

    /**
     * The copy of {@code role}'s input in layout {@code md}, shared with the passes that
     * already asked for the same one; release it with {@link #release}.
     */
    Copy acquire(Role role, memory.desc md, engine eng) {
        for (Copy c : copies) {
            if (c.role == role && !c.mem.get_desc().notEquals(md)) {
                c.users++;
                return c;
            }
        }
        Copy c = new Copy(role, new memory(md, eng).retainReference());
        c.users = 1;
        copies.add(c);
        return c;
    }

    /** A pass no longer reads {@code c} (e.g. a candidate AUTO discarded): the last user frees it. */
    void release(Copy c) {
        if (--c.users == 0 && copies.remove(c)) {
            c.mem.releaseReference();
        }
    }

    /**
     * The copies alive now (an identity set): what the passes built so far convert. AUTO does
     * not charge a later pass's candidate for a reorder into one of them (see
     * {@link Pass#beginTiming}).
     */
    Set<Copy> snapshot() {
        Set<Copy> out = Collections.newSetFromMap(new IdentityHashMap<>());
        out.addAll(copies);
        return out;
    }

    /** How many copies are alive (tests). */
    int size() {
        return copies.size();
    }

    @Override public void close() {
        for (Copy c : copies) {
            c.mem.releaseReference();
        }
        copies.clear();
    }
}
