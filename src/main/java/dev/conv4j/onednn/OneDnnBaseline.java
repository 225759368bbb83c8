package dev.conv4j.onednn;

import dev.conv4j.Check;
import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.bench.RawBaseline;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.global.dnnl.query;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.PointerScope;

/**
 * One oneDNN convolution (or deconvolution) primitive called directly, the way a C++ user
 * of oneDNN would: source, weights and destination {@code format_tag.any} (or, for the source
 * and destination, the tag of a fixed layout policy), the bias plain: the very primitive
 * descriptor a plan under that policy builds ({@link ConvPrimitives}), memories allocated in the layouts the primitive chose, a user-mode
 * scratchpad, execute then wait (through the C API, with the argument array built once).
 * No conv4j plan, no reorders, no checks per call. {@code conv4j bench --baseline} times it
 * beside the plan of the same problem to measure the facade's overhead.
 *
 * <p>Optionally ({@code --baseline-outputs user}) it also does the layout work a C++ caller
 * holding tensors in conv4j's user layouts must do, where the primitive chose another layout:
 * its inputs start in those layouts (the activation layout given, PyTorch's weight layout),
 * and its output is reordered into the user's layout after every run (as a plan does it:
 * through padded rows where {@link PaddedRows} says). The activation input
 * of forward and of backward-data is reordered on every run too, as {@code conv4j bench}
 * hands the plan a changed input each time; the weights, and backward-weights' inputs (which
 * a training step has reordered already for the other two directions), are reordered once.
 * The plan under the same fixed layout policy does exactly this oneDNN work in the bench, so
 * the ratio is the cost of the Java facade alone.
 *
 * <p>It covers what maps one-to-one onto a oneDNN primitive: zero padding, any rank, groups,
 * stride, dilation, asymmetric padding, transposed. Where a transposed convolution's output
 * columns reach past what oneDNN accepts ({@link DnnlMapping}'s crop), the baseline runs the
 * primitive on the cropped destination, as the plan does; the plan's filling of the cropped
 * columns is the facade's work. A non-zero padding mode (which conv4j
 * implements by pre-padding) has no raw equivalent and is rejected.
 */
final class OneDnnBaseline implements RawBaseline {

    /**
     * Creates baselines whose source and destination are in {@code layout}'s tags
     * ({@code ANY}, {@code CHANNELS_LAST} or {@code CHANNELS_FIRST}; weights stay {@code any}).
     */
    static RawBaseline.Factory factory(LayoutPolicy layout) {
        return factory(layout, null);
    }

    /**
     * As {@link #factory(LayoutPolicy)}; with {@code userLayout} non-null, the baselines also
     * convert from and to the user's layouts (activations in {@code userLayout}), see the class
     * comment.
     */
    static RawBaseline.Factory factory(LayoutPolicy layout, Layout userLayout) {
        checkFixed(layout);   // now, not at the first baseline
        return (spec, src, dir, training) -> create(spec, src, dir, training, layout, userLayout);
    }

    private final Owned owned;           // every native object of the baseline
    private final Call[] calls;          // reorders of inputs, the convolution, the output's reorder (with user layouts)
    private final memory output;         // what the caller reads: the user-layout output, if converted
    private final dnnl_stream strm;
    private final String impl;
    private final String problem;
    private final CallGate gate = new CallGate();

    /** One primitive and its argument array, built once and passed as is to the C API. */
    private record Call(dnnl_primitive prim, dnnl_exec_arg_t args, int nargs) {}

    private OneDnnBaseline(Call[] calls, memory output, dnnl_stream strm, String impl, String problem, Owned owned) {
        this.calls = calls;
        this.output = output;
        this.strm = strm;
        this.impl = impl;
        this.problem = problem;
        this.owned = owned;
    }

    /**
     * Builds the primitive of {@code dir} for {@code spec} on input {@code src}.
     *
     * @param training whether the forward primitive uses {@code forward_training} (backward
     *                 directions always take a training forward descriptor as their hint)
     * @throws IllegalArgumentException if {@code src} does not fit {@code spec}, or the padding
     *         mode is not zeros
     */
    static OneDnnBaseline create(ConvSpec spec, Shape src, Direction dir, boolean training) {
        return create(spec, src, dir, training, LayoutPolicy.ANY);
    }

    /** As {@link #create(ConvSpec, Shape, Direction, boolean)}, with source and destination in {@code layout}. */
    static OneDnnBaseline create(ConvSpec spec, Shape src, Direction dir, boolean training, LayoutPolicy layout) {
        return create(spec, src, dir, training, layout, null);
    }

    /**
     * As {@link #create(ConvSpec, Shape, Direction, boolean, LayoutPolicy)}; with
     * {@code userLayout} non-null, inputs start in the user's layouts and the output is
     * converted into them (see the class comment). The primitive descriptor is the plan's own
     * ({@link DnnlMapping}, {@link ConvPrimitives}), so that both see the same problem, down to
     * the destination columns a transposed convolution leaves to the plan.
     *
     * @throws dev.conv4j.NativeBackendException if oneDNN has no implementation under {@code layout}
     */
    static OneDnnBaseline create(ConvSpec spec, Shape src, Direction dir, boolean training, LayoutPolicy layout,
                                        Layout userLayout) {
        checkFixed(layout);
        Check.arg(spec.paddingMode() == PaddingMode.ZEROS,
                "baseline: padding_mode %s has no raw oneDNN primitive (conv4j pre-pads it); use zeros",
                spec.paddingMode().name().toLowerCase(Locale.ROOT));
        DnnlMapping m = DnnlMapping.of(spec, src, userLayout == null ? Layout.CHANNELS_FIRST : userLayout);
        String problem = spec + " on " + src + " " + dir.label();
        Owned owned = new Owned();
        try (PointerScope scope = new PointerScope()) {
            engine eng = Holder.ENGINE;
            // Backward directions always take a training forward descriptor as their hint.
            primitive_desc fwd = ConvPrimitives.forward(eng, m, layout, training || dir != Direction.FWD);
            primitive_desc pd = !fwd.asBoolean() ? fwd : switch (dir) {
                case FWD -> fwd;
                case BWD_D -> ConvPrimitives.backwardData(eng, m, layout, fwd);
                case BWD_W -> ConvPrimitives.backwardWeights(eng, m, layout, fwd);
            };
            if (!pd.asBoolean()) {
                throw NativeErrors.unimplemented(problem, dir, "layout " + layout);
            }
            primitive prim = owned.own(new primitive(pd.get()));
            ArgList args = new ArgList(userLayout != null, problem, owned);
            memory output = null;
            memory.desc outputUserMd = null;
            for (Pass.Binding b : ConvPrimitives.bindings(m, dir)) {
                memory.desc primMd = pd.query_md(query.exec_arg_md, b.arg());
                if (!b.role().output) {
                    args.input(b.arg(), primMd, b.userMd(), everyRun(dir, b.role()));
                } else if (b.arg() == mainOutput(dir)) {
                    output = args.output(b.arg(), primMd);
                    outputUserMd = b.userMd();
                } else {
                    args.output(b.arg(), primMd);
                }
            }
            memory.desc scratch = pd.scratchpad_desc();
            if (scratch.get_size() > 0) {
                args.output(dnnl.DNNL_ARG_SCRATCHPAD, scratch);
            }
            List<Call> calls = new ArrayList<>(args.before);
            calls.add(call(prim, args.ids, args.mems, owned));
            memory user = args.userMemory(outputUserMd, false, output.get_desc());
            if (user != null) {
                // By the plan's route, so that both do the same oneDNN work.
                ReorderRoute route = ReorderRoute.of(output.get_desc(), outputUserMd);
                if (!route.direct()) {
                    memory between = owned.own(new memory(route.md(), Holder.ENGINE));
                    calls.add(reorderCall(output, between, owned));
                    calls.add(reorderCall(between, user, owned));
                } else {
                    calls.add(reorderCall(output, user, owned));
                }
                output = user;
            }
            return new OneDnnBaseline(calls.toArray(new Call[0]), output, Holder.STREAM.get(),
                    pd.impl_info_str().getString(), problem, owned);
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
    }

    private static void checkFixed(LayoutPolicy layout) {
        Check.arg(layout != LayoutPolicy.AUTO, "baseline-layout: AUTO is not one primitive; use any, channels-last or channels-first");
    }

    /**
     * Whether a caller holding user layouts reorders input {@code role} of {@code dir} on every
     * run: forward's source and backward-data's gradient change every call, as in the bench;
     * the weights, and backward-weights' inputs (which a training step has reordered already
     * for the other two directions), once.
     */
    private static boolean everyRun(Direction dir, Pass.Role role) {
        return (dir == Direction.FWD && role == Pass.Role.SRC) || (dir == Direction.BWD_D && role == Pass.Role.DIFF_DST);
    }

    @Override
    public void run() {
        enter();
        try {
            // The C API, as conv4j's plans use it: the C++ execute() builds an argument vector per
            // call, and its wait() returns a new Java wrapper per call.
            execute(calls, strm, problem, "baseline execute");
        } finally {
            gate.exit();
        }
    }

    /** As a plan's calls: one at a time, none after close (the same gate, so that both pay alike). */
    private void enter() {
        switch (gate.tryEnter()) {
            case ENTERED -> { }
            case CLOSED -> throw new IllegalStateException("baseline: used after close");
            case IN_USE -> throw new IllegalStateException("baseline: in use by another thread; create one per thread");
        }
    }

    /** Runs {@code calls} in order and waits, through the C API; a failure names {@code what}. */
    private static void execute(Call[] calls, dnnl_stream strm, String problem, String what) {
        int status = 0;
        for (int i = 0; i < calls.length && status == 0; i++) {
            status = dnnl.dnnl_primitive_execute(calls[i].prim, strm, calls[i].nargs, calls[i].args);
        }
        if (status == 0) {
            status = dnnl.dnnl_stream_wait(strm);
        }
        if (status != 0) {
            throw NativeErrors.status(problem, what, status);
        }
    }

    /** How many reorders run besides the convolution on every run (tests). */
    int conversions() {
        return calls.length - 1;
    }

    /**
     * The output of the last run (destination, source gradient or weight gradient), in the
     * user's layout when converting (tests); valid until close.
     */
    FloatBuffer output() {
        Check.state(!gate.isClosed(), "baseline: used after close");
        return GatherStep.view(output);
    }

    @Override
    public String implementation() {
        return impl;
    }

    /** Waits for a run in flight on another thread, then releases the native objects; idempotent. */
    @Override
    public void close() {
        gate.close(owned::close);
    }

    // ---- helpers -----------------------------------------------------------------------

    /**
     * The engine of conv4j's plans (so that native-config's ISA cap applies alike) and one
     * stream for every baseline, created on first use.
     */
    private static final class Holder {
        static final engine ENGINE = NativeRuntime.get().engine();
        static final stream STREAM = new stream(ENGINE).retainReference();
    }

    /** The direction's output: what the caller reads. */
    private static int mainOutput(Direction dir) {
        return switch (dir) {
            case FWD -> dnnl.DNNL_ARG_DST;
            case BWD_D -> dnnl.DNNL_ARG_DIFF_SRC;
            case BWD_W -> dnnl.DNNL_ARG_DIFF_WEIGHTS;
        };
    }

    /**
     * Argument ids and the memories bound to them, in order. Inputs hold small non-zero values,
     * written in the primitive's layout; with user layouts, written in the user's layout and
     * reordered into the primitive's once, or before every run ({@link #before}).
     */
    private static final class ArgList {
        final List<Integer> ids = new ArrayList<>();
        final List<memory> mems = new ArrayList<>();
        final List<Call> before = new ArrayList<>();   // reorders of inputs on every run
        private final boolean userLayouts;   // false: no conversions
        private final Owned owned;
        private final String problem;   // names the problem if a reorder made here fails

        ArgList(boolean userLayouts, String problem, Owned owned) {
            this.userLayouts = userLayouts;
            this.problem = problem;
            this.owned = owned;
        }

        /** @param everyRun with user layouts, whether the input is reordered on every run, else once */
        void input(int id, memory.desc md, memory.desc userMd, boolean everyRun) {
            memory m = owned.own(new memory(md, Holder.ENGINE));
            memory user = userMemory(userMd, true, md);
            if (user == null) {
                fill(m);
            } else if (everyRun) {
                before.add(reorderCall(user, m, owned));
            } else {
                execute(new Call[] {reorderCall(user, m, owned)}, Holder.STREAM.get(), problem, "baseline reorder of an input");
            }
            ids.add(id);
            mems.add(m);
        }

        memory output(int id, memory.desc md) {
            memory m = owned.own(new memory(md, Holder.ENGINE));
            ids.add(id);
            mems.add(m);
            return m;
        }

        /**
         * A memory in the user's layout {@code userMd} (filled when an input), or {@code null}
         * when not converting or when the primitive's layout is the user's already.
         */
        memory userMemory(memory.desc userMd, boolean input, memory.desc primMd) {
            if (!userLayouts || !primMd.notEquals(userMd)) {
                return null;
            }
            memory user = owned.own(new memory(userMd, Holder.ENGINE));
            if (input) {
                fill(user);
            }
            return user;
        }
    }

    /** A primitive call with its argument array built once, both kept past the scope. */
    private static Call call(primitive prim, List<Integer> ids, List<memory> mems, Owned owned) {
        dnnl_exec_arg_t array = new dnnl_exec_arg_t(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            array.getPointer(i).arg(ids.get(i)).memory(mems.get(i).get());
        }
        owned.own(array);
        return new Call(prim.get(), array, ids.size());
    }

    /** A reorder from {@code from} to {@code to} (library-managed scratchpad), kept past the scope. */
    private static Call reorderCall(memory from, memory to, Owned owned) {
        reorder r = owned.own(new reorder(new reorder.primitive_desc(from, to, new primitive_attr(), false)));
        return call(r, List.of(dnnl.DNNL_ARG_FROM, dnnl.DNNL_ARG_TO), List.of(from, to), owned);
    }

    /** Small non-zero values by storage index: no zeros-only or denormal inputs. */
    private static void fill(memory m) {
        FloatBuffer b = GatherStep.view(m);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, fillValue(i));
        }
    }

    /** The value {@link #fill} writes at storage index {@code i} (tests build the same tensors). */
    static float fillValue(int i) {
        return ((i % 13) - 6) * 0.01f;
    }
}
