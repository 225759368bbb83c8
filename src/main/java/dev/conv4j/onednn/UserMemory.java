package dev.conv4j.onednn;

import dev.conv4j.tensor.Tensor;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.Pointer;

/**
 * A oneDNN memory in the user's layout whose data handle is pointed at the caller's tensor on
 * every call: a direct tensor is used in place, a heap ({@code float[]}) tensor goes through a
 * staging buffer created on first use. Binding allocates nothing. A memory of a pass computed
 * in slices of the minibatch ({@link Pass}) views one slice of the bound tensor at a time
 * ({@link #selectSlice}); its {@link #elements} are one slice's.
 */
final class UserMemory {
    /** A pointer whose address we move; it owns nothing. */
    private static final class DataHandle extends Pointer {
        void point(Buffer direct, long offsetBytes) {
            address = getDirectBufferAddress(direct) + offsetBytes;
        }
    }

    final memory mem;
    private final dnnl_memory handle;
    private final Owned owned;
    private final engine eng;
    // Blocks of the tensor that some op reads or writes on its own (a descriptor with an offset): same data handle.
    private final List<memory> views = new ArrayList<>();
    private dnnl_memory[] viewHandles = new dnnl_memory[0];
    private final DataHandle data = new DataHandle();
    final int elements;
    /** How many slices of {@link #elements} the bound tensor holds: 1 but in a pass computed in slices. */
    final int slices;
    private FloatBuffer staging;
    private FloatBuffer current;   // the direct buffer the memory points at now
    private float[] slicedArray;   // a sliced heap tensor, copied in (or out) one slice at a time
    private boolean slicedRead;    // whether slicedArray is read (copied in) or written (copied out)

    UserMemory(Owned owned, memory.desc md, engine eng, long[] dims) {
        this(owned, md, eng, dims, 1);
    }

    UserMemory(Owned owned, memory.desc md, engine eng, long[] dims, int slices) {
        this.slices = slices;
        this.owned = owned;
        this.eng = eng;
        this.mem = owned.own(new memory(md, eng, (Pointer) null));   // no buffer of its own
        this.handle = mem.get();
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        this.elements = (int) n;
    }

    /**
     * A memory over the same data seen through {@code md}, a block of the tensor (a
     * descriptor with an offset): pointed wherever this one is. One per descriptor.
     */
    memory view(memory.desc md) {
        for (memory v : views) {
            if (!v.get_desc().notEquals(md)) {
                return v;
            }
        }
        memory v = owned.own(new memory(md, eng, (Pointer) null));
        views.add(v);
        viewHandles = Arrays.copyOf(viewHandles, views.size());
        viewHandles[views.size() - 1] = v.get();
        return v;
    }

    /** Points the memory at {@code t}'s storage (its first slice); copies a heap tensor in when {@code read}. */
    void bind(Tensor t, boolean read, String problem) {
        if (slices > 1) {
            slicedArray = t.isDirect() ? null : t.array();
            slicedRead = read;
            current = t.isDirect() ? t.buffer() : staging();
            selectSlice(0, problem);
            return;
        }
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

    /** Points the memory at a direct buffer of ours (pre-padding, timing), at its first slice if sliced. */
    void bind(FloatBuffer direct, String problem) {
        slicedArray = null;
        point(direct);
        setDataHandle(problem);
    }

    /** The bound tensor's elements: {@link #elements} times {@link #slices}. */
    int totalElements() {
        return Math.multiplyExact(elements, slices);
    }

    /**
     * Points the memory at slice {@code k} of the bound tensor: the direct buffer at an
     * offset, or a heap tensor's slice copied into staging. Allocates nothing.
     */
    void selectSlice(int k, String problem) {
        long offset = (long) k * elements;
        if (slicedArray != null) {
            if (slicedRead) {
                staging.put(0, slicedArray, (int) offset, elements);
            }
            data.point(staging, 0);
        } else {
            data.point(current, offset * Float.BYTES);
        }
        setDataHandle(problem);
    }

    /** The direct buffer the memory points at now (a {@link GatherStep} reads or writes it). */
    FloatBuffer buffer() {
        return current;
    }

    private void point(FloatBuffer direct) {
        current = direct;
        data.point(direct, 0);
    }

    /** After slice {@code k} was written: a sliced heap output tensor gets it from staging. */
    void sliceWritten(int k) {
        if (slicedArray != null && !slicedRead) {
            staging.get(0, slicedArray, k * elements, elements);
        }
    }

    /** Copies a heap output tensor back from staging (a sliced one has it already) and records the write. */
    void finish(Tensor t) {
        if (!t.isDirect() && slices == 1) {
            staging.get(0, t.array());
        }
        t.markModified();
    }

    private void setDataHandle(String problem) {
        int status = dnnl.dnnl_memory_set_data_handle(handle, data);
        for (int i = 0; i < viewHandles.length && status == 0; i++) {
            status = dnnl.dnnl_memory_set_data_handle(viewHandles[i], data);
        }
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
