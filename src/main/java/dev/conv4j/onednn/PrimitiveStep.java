package dev.conv4j.onednn;

import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.javacpp.Pointer;

/**
 * A {@link Step} that runs one primitive, with its argument array built once. Runs through the C API
 * ({@code dnnl_primitive_execute}), which takes the array as is: the C++ {@code execute}
 * would build a new argument vector on every call. Its scratchpad (user mode) has no buffer of
 * its own: the plan points every step at one shared buffer ({@link #useScratchpad}).
 */
final class PrimitiveStep implements Step {
    private final dnnl_primitive handle;
    private final dnnl_exec_arg_t args;
    private final int nargs;
    private final memory scratchpad;   // null when the primitive needs none
    private final long scratchpadBytes;
    private final String what;

    /**
     * @param pd   the primitive's descriptor, asked for its scratchpad size (user mode)
     * @param ids  {@code DNNL_ARG_*} of each memory
     */
    PrimitiveStep(Owned owned, engine eng, primitive_desc_base pd, primitive p, String what, int[] ids, memory[] mems) {
        owned.own(p);
        this.handle = p.get();
        this.what = what;
        memory.desc scratchMd = pd.scratchpad_desc();
        this.scratchpadBytes = scratchMd.get_size();
        boolean scratch = scratchpadBytes > 0;
        this.nargs = ids.length + (scratch ? 1 : 0);
        this.args = owned.own(new dnnl_exec_arg_t(nargs));
        for (int i = 0; i < ids.length; i++) {
            args.getPointer(i).arg(ids[i]).memory(mems[i].get());
        }
        if (scratch) {
            this.scratchpad = owned.own(new memory(scratchMd, eng, (Pointer) null));   // no buffer of its own
            args.getPointer(ids.length).arg(dnnl.DNNL_ARG_SCRATCHPAD).memory(scratchpad.get());
        } else {
            this.scratchpad = null;
        }
    }

    @Override public long scratchpadBytes() {
        return scratchpadBytes;
    }

    @Override public void useScratchpad(Pointer buffer, String problem) {
        if (scratchpad == null) {
            return;
        }
        int status = dnnl.dnnl_memory_set_data_handle(scratchpad.get(), buffer);
        if (status != 0) {
            throw NativeErrors.status(problem, "set_data_handle of the scratchpad of " + what, status);
        }
    }

    @Override public long scratchpadAddress() {
        return scratchpad == null ? 0 : scratchpad.get_data_handle().address();
    }

    @Override public void run(dnnl_stream stream, String problem) {
        int status = dnnl.dnnl_primitive_execute(handle, stream, nargs, args);
        if (status != 0) {
            throw NativeErrors.status(problem, what, status);
        }
    }
}
