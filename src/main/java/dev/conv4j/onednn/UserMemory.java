package dev.conv4j.onednn;

import dev.conv4j.tensor.Tensor;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.Pointer;

/**
 * A oneDNN memory in the user's layout whose data handle is pointed at the caller's tensor on
 * every call: a direct tensor is used in place, a heap ({@code float[]}) tensor goes through a
 * staging buffer created on first use. Binding allocates nothing.
 */
final class UserMemory {
    /** A pointer whose address we move; it owns nothing. */
    private static final class DataHandle extends Pointer {
        void point(Buffer direct) {
            address = getDirectBufferAddress(direct);
        }
    }

    final memory mem;
    private final dnnl_memory handle;
    private final DataHandle data = new DataHandle();
    final int elements;
    private FloatBuffer staging;
    private FloatBuffer current;   // the direct buffer the memory points at now

    UserMemory(Owned owned, memory.desc md, engine eng, long[] dims) {
        this.mem = owned.own(new memory(md, eng, (Pointer) null));   // no buffer of its own
        this.handle = mem.get();
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        this.elements = (int) n;
    }

    /** Points the memory at {@code t}'s storage; copies a heap tensor in when {@code read}. */
    void bind(Tensor t, boolean read, String problem) {
        if (t.isDirect()) {
            point(t.buffer());
        } else {
            FloatBuffer s = staging();
            if (read) {
                s.put(0, t.array());
            }
            point(s);
        }
        setDataHandle(problem);
    }

    /** Points the memory at a direct buffer of ours (pre-padding, timing). */
    void bind(FloatBuffer direct, String problem) {
        point(direct);
        setDataHandle(problem);
    }

    /** The direct buffer the memory points at now (a {@link GatherStep} reads or writes it). */
    FloatBuffer buffer() {
        return current;
    }

    private void point(FloatBuffer direct) {
        current = direct;
        data.point(direct);
    }

    /** Copies a heap output tensor back from staging and records the write. */
    void finish(Tensor t) {
        if (!t.isDirect()) {
            staging.get(0, t.array());
        }
        t.markModified();
    }

    private void setDataHandle(String problem) {
        int status = dnnl.dnnl_memory_set_data_handle(handle, data);
        if (status != 0) {
            throw NativeErrors.status(problem, "set_data_handle", status);
        }
    }

    private FloatBuffer staging() {
        if (staging == null) {
            staging = Tensor.alignedDirect(elements);
        }
        return staging;
    }
}
