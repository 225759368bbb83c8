package dev.conv4j.onednn;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.List;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Builds the {@link Pass} of each direction of one plan: the candidate a fixed layout policy
 * names, or, under {@link LayoutPolicy#AUTO}, the fastest of the candidates that apply, timed
 * once and remembered in {@link LayoutChoice}. Also sizes the one scratchpad the plan's
 * passes share. Used by {@link OneDnnPlan}'s constructor only.
 */
final class PassBuilder {
    private final engine eng;
    private final ConvSpec spec;
    private final Shape srcShape;
    private final PlanOptions options;
    private final DnnlMapping m;
    private final String problem;
    private final dnnl_stream stream;
    private final ConvertedInputs converted;
    private final Candidate forced;

    PassBuilder(engine eng, ConvSpec spec, Shape srcShape, PlanOptions options, DnnlMapping m, String problem,
                dnnl_stream stream, ConvertedInputs converted, Candidate forced) {
        this.eng = eng;
        this.spec = spec;
        this.srcShape = srcShape;
        this.options = options;
        this.m = m;
        this.problem = problem;
        this.stream = stream;
        this.converted = converted;
        this.forced = forced;
    }


    static boolean anyMatmul(ConvSpec spec, Shape src, Layout userLayout) {
        for (Direction dir : Direction.values()) {
            if (Matmul1x1.eligible(spec, src, userLayout, dir)) {
                return true;
            }
        }
        return false;
    }

    /** The pass of {@code dir}; timed against the other candidates under AUTO. */
    Pass build(Direction dir) {
        if (forced != null && Matmul1x1.eligible(spec, srcShape, options.userLayout(), dir)) {
            return candidate(dir, forced, true);
        }
        LayoutPolicy policy = options.layout();
        if (policy != LayoutPolicy.AUTO) {
            return candidate(dir, Candidate.of(policy), true);
        }
        LayoutChoice.Key key = new LayoutChoice.Key(spec, srcShape, dir, options.userLayout(), options.training());
        Candidate known = LayoutChoice.lookup(key);
        if (known != null) {
            Pass p = candidate(dir, known, false);
            if (p != null) {
                return p;
            }
        }
        // ANY is required (it is what oneDNN itself would pick); the others compete if they
        // have a JIT kernel. Each is timed end to end, reorders of the user's tensors included.
        Pass best = candidate(dir, Candidate.ANY, true);
        long bestTime = Long.MAX_VALUE;
        try {
            bestTime = time(best);
            for (Candidate other : AUTO_CANDIDATES) {
                Pass p = optionalCandidate(dir, other);
                if (p == null) {
                    continue;
                }
                long t;
                try {
                    t = time(p);
                } catch (RuntimeException e) {
                    p.close();
                    throw e;
                }
                if (t < bestTime) {
                    best.close();
                    best = p;
                    bestTime = t;
                } else {
                    p.close();
                }
            }
        } catch (RuntimeException e) {
            best.close();
            throw e;
        }
        LayoutChoice.remember(key, best.candidate);
        return best;
    }

    /** {@link Pass#time} with a scratchpad for the timing runs only, freed right after. */
    private long time(Pass p) {
        try (PointerScope timing = new PointerScope()) {
            shareScratchpad(eng, p);
            return p.time(stream, LayoutChoice.RUNS);
        }
    }

    /** What AUTO times against {@code ANY} (the matmuls only where {@link Matmul1x1#eligible}). */
    private static final Candidate[] AUTO_CANDIDATES = {Candidate.CHANNELS_LAST, Candidate.CHANNELS_FIRST,
            Candidate.MATMUL, Candidate.MATMUL_PACKED, Candidate.MATMUL_TRANSPOSED};

    /**
     * The pass of {@code c} if it applies and oneDNN has a JIT kernel for it, else null: a
     * reference kernel never wins, and timing one would make the first prepare slow. Packed
     * matmul weights that oneDNN leaves in the user's layout are the plain matmul again: null.
     */
    private Pass optionalCandidate(Direction dir, Candidate c) {
        if (c.matmul() && (!Matmul1x1.eligible(spec, srcShape, options.userLayout(), dir) || effective(c, dir) != c)) {
            return null;   // not a matmul, or the same matmul as another candidate
        }
        Pass p;
        try {
            p = candidate(dir, c, false);
        } catch (RuntimeException e) {
            return null;   // no implementation, or no reorder to the user's layout
        }
        if (p != null && (p.impl.startsWith("ref") || (c == Candidate.MATMUL_PACKED && !p.reordersWeights()))) {
            p.close();
            return null;
        }
        return p;
    }

    /** The pass of {@code dir} on {@code c}; null (or an exception if {@code required}) without an implementation. */
    private Pass candidate(Direction dir, Candidate c, boolean required) {
        if (c.matmul()) {
            return matmulCandidate(dir, c, required);
        }
        LayoutPolicy layout = c.layout;
        primitive_desc fwdPd = ConvPrimitives.forward(eng, m, layout, options.training());
        if (!fwdPd.asBoolean()) {
            if (required) {
                throw NativeErrors.unimplemented(problem, dir, "forward descriptor, layout " + layout);
            }
            return null;
        }
        primitive_desc pd = switch (dir) {
            case FWD -> fwdPd;
            case BWD_D -> ConvPrimitives.backwardData(eng, m, layout, fwdPd);
            case BWD_W -> ConvPrimitives.backwardWeights(eng, m, layout, fwdPd);
        };
        if (!pd.asBoolean()) {
            if (required) {
                throw NativeErrors.unimplemented(problem, dir, "layout " + layout);
            }
            return null;
        }
        return new Pass(eng, dir, c, pd.impl_info_str().getString(),
                List.of(new Pass.Op(pd, ConvPrimitives.bindings(m, dir))), problem, converted);
    }

    /**
     * What the matmul candidate {@code c} is in {@code dir}: backward-weights reads no weights
     * (packing them is the plain matmul); only backward-weights has a transposed product.
     */
    private static Candidate effective(Candidate c, Direction dir) {
        if (dir == Direction.BWD_W) {
            return c == Candidate.MATMUL_PACKED ? Candidate.MATMUL : c;
        }
        return c == Candidate.MATMUL_TRANSPOSED ? Candidate.MATMUL : c;
    }

    private Pass matmulCandidate(Direction dir, Candidate c, boolean required) {
        Candidate effective = effective(c, dir);
        Matmul1x1.Ops ops = Matmul1x1.ops(eng, m, options.userLayout(), dir, effective == Candidate.MATMUL_PACKED,
                effective == Candidate.MATMUL_TRANSPOSED);
        if (ops == null) {
            if (required) {
                throw NativeErrors.unimplemented(problem, dir, "matmul of a 1x1 convolution");
            }
            return null;
        }
        return new Pass(eng, dir, effective, ops.impl(), ops.ops(), problem, converted);
    }

    /**
     * A buffer for the largest scratchpad of {@code passes} with every step pointed at it, or
     * null if no step needs one. One buffer serves all: a plan's steps run one at a time on
     * its one stream.
     */
    static memory shareScratchpad(engine eng, Pass... passes) {
        long bytes = 0;
        for (Pass p : passes) {
            if (p != null) {
                bytes = Math.max(bytes, p.scratchpadBytes());
            }
        }
        if (bytes == 0) {
            return null;
        }
        memory buffer = new memory(new memory.desc(new long[] {bytes}, memory.data_type.u8, memory.format_tag.a), eng);
        Pointer handle = buffer.get_data_handle();
        for (Pass p : passes) {
            if (p != null) {
                p.useScratchpad(handle);
            }
        }
        return buffer;
    }

}
