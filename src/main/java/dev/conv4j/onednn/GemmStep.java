package dev.conv4j.onednn;

import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A {@link Step} that calls oneDNN's {@code dnnl_sgemm} (row-major {@code C = op(A) · op(B)}) on
 * the current data of three memories bound at prepare time, the way a matmul binds them: A at
 * {@code DNNL_ARG_SRC}, B at {@code DNNL_ARG_WEIGHTS}, C at {@code DNNL_ARG_DST}. Each call
 * reads their data handles (set per call by the pass) into pointers of its own, so it
 * allocates nothing on the Java heap. {@code sgemm} is no primitive: it has no scratchpad of
 * ours, and, like oneDNN's {@code gemm:jit} convolutions, it packs its operands in buffers it
 * allocates itself.
 *
 * Why: the backward-weights of a 1×1 convolution is a product reducing over every pixel
 * ({@code OC×M · M×IC}), and on such products the matmul primitive measured well behind
 * {@code sgemm} (ResNet-50 at mb 1 and 32, AVX2), which beat the raw {@code any} convolution on
 * some of them. AUTO times both.
 */
final class GemmStep implements Step {
    /**
     * A row-major matrix view of a tensor: {@code rows × cols}, element {@code (r, c)} at
     * {@code r · rowStride + c · colStride}; one of the strides is 1. A block of a larger
     * matrix of the same strides starts at its row {@code rowFrom}, column {@code colFrom}
     * (its memory descriptor carries that offset).
     */
    record Matrix(long rows, long cols, long rowStride, long colStride, long rowFrom, long colFrom) {
        Matrix {
            if (rowStride != 1 && colStride != 1) {
                throw new IllegalArgumentException("a matrix view needs a unit stride: " + rowStride + ", " + colStride);
            }
        }

        Matrix(long rows, long cols, long rowStride, long colStride) {
            this(rows, cols, rowStride, colStride, 0, 0);
        }

        /** Rows {@code [from, from + count)} of this whole matrix. */
        Matrix rowBlock(long from, long count) {
            return new Matrix(count, cols, rowStride, colStride, from, 0);
        }

        /** Columns {@code [from, from + count)} of this whole matrix. */
        Matrix colBlock(long from, long count) {
            return new Matrix(rows, count, rowStride, colStride, 0, from);
        }

        memory.desc md() {
            long[] strides = {rowStride, colStride};
            if (rowFrom == 0 && colFrom == 0) {
                return new memory.desc(new long[] {rows, cols}, memory.data_type.f32, strides);
            }
            memory.desc whole = new memory.desc(new long[] {rowFrom + rows, colFrom + cols}, memory.data_type.f32, strides);
            return whole.submemory_desc(new long[] {rows, cols}, new long[] {rowFrom, colFrom});
        }

        /** Stored transposed: its columns are contiguous (BLAS {@code 'T'}). */
        boolean transposed() {
            return colStride != 1;
        }

        /**
         * BLAS's leading dimension. Over an extent of 1 the stride is never taken (a single row
         * may say 1), but BLAS still asks for at least the row's length.
         */
        long ld() {
            return transposed() ? Math.max(colStride, rows) : Math.max(rowStride, cols);
        }
    }

    /** {@code c = a · b}. */
    record Call(Matrix a, Matrix b, Matrix c) {
        Call {
            if (a.rows() != c.rows() || b.cols() != c.cols() || a.cols() != b.rows() || c.transposed()) {
                throw new IllegalArgumentException("sgemm shapes: " + a + " · " + b + " -> " + c);
            }
        }

        /** The memory descriptor the product reads or writes at {@code arg}. */
        memory.desc md(int arg) {
            if (arg == dnnl.DNNL_ARG_SRC) {
                return a.md();
            }
            if (arg == dnnl.DNNL_ARG_WEIGHTS) {
                return b.md();
            }
            if (arg == dnnl.DNNL_ARG_DST) {
                return c.md();
            }
            throw new IllegalArgumentException("sgemm has no argument " + arg);
        }
    }

    private final Call call;
    private final dnnl_memory a;
    private final dnnl_memory b;
    private final dnnl_memory c;
    // Pointers that own nothing: oneDNN writes each memory's data handle into one per call,
    // moved on by the offset of a block's memory descriptor (oneDNN's primitives add it themselves).
    private final Handle pa;
    private final Handle pb;
    private final Handle pc;
    private final String what;

    /** {@code ids}/{@code mems}: the memories bound at the SRC, WEIGHTS and DST arguments. */
    GemmStep(Call call, int[] ids, memory[] mems, String what) {
        this.call = call;
        this.what = what;
        memory ma = find(ids, mems, dnnl.DNNL_ARG_SRC);
        memory mb = find(ids, mems, dnnl.DNNL_ARG_WEIGHTS);
        memory mc = find(ids, mems, dnnl.DNNL_ARG_DST);
        this.a = ma.get();
        this.b = mb.get();
        this.c = mc.get();
        this.pa = new Handle(ma);
        this.pb = new Handle(mb);
        this.pc = new Handle(mc);
    }

    /** A float pointer at a memory's data plus its descriptor's offset; it owns nothing. */
    private static final class Handle extends FloatPointer {
        private final long offsetBytes;

        Handle(memory m) {
            this.offsetBytes = m.get_desc().get_submemory_offset() * Float.BYTES;
        }

        void moveToOffset() {
            address += offsetBytes;
        }
    }

    private static memory find(int[] ids, memory[] mems, int arg) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == arg) {
                return mems[i];
            }
        }
        throw new IllegalArgumentException("sgemm: no memory bound at argument " + arg);
    }

    /** Points {@code p} at {@code m}'s current data (JavaCPP passes {@code p} as {@code void**}), at its offset. */
    private FloatPointer point(Handle p, dnnl_memory m, String problem) {
        int status = dnnl.dnnl_memory_get_data_handle(m, p);
        if (status != 0) {
            throw NativeErrors.status(problem, "get_data_handle for " + what, status);
        }
        p.moveToOffset();
        return p;
    }

    @Override public void run(dnnl_stream stream, String problem) {
        Matrix ma = call.a();
        Matrix mb = call.b();
        Matrix mc = call.c();
        int status = dnnl.dnnl_sgemm(ma.transposed() ? (byte) 'T' : (byte) 'N', mb.transposed() ? (byte) 'T' : (byte) 'N',
                mc.rows(), mc.cols(), ma.cols(), 1f, point(pa, a, problem), ma.ld(),
                point(pb, b, problem), mb.ld(), 0f, point(pc, c, problem), mc.ld());
        if (status != 0) {
            throw NativeErrors.status(problem, what, status);
        }
    }
}
