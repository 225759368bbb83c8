package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/**
 * AUTO may keep any implementation oneDNN lists, not only its first: each one, under each
 * layout candidate and tensor layout, in every direction, runs through a plan as the
 * remembered choice, is the implementation the plan reports, and matches the reference.
 */
class ImplementationsTest {
    private static final long SEED = 20261125L;

    private record Case(ConvSpec spec, Shape src) {}

    private static final List<Case> CASES = List.of(
            new Case(ConvSpec.conv2d(16, 16, 3).padding(1).build(), Shape.of(2, 16, 7, 7)),
            new Case(ConvSpec.conv2d(16, 32, 1).build(), Shape.of(1, 16, 6, 6)),
            new Case(ConvSpec.conv2d(8, 16, 3).stride(2).padding(1).bias(false).build(), Shape.of(1, 8, 9, 9)),
            new Case(ConvSpec.depthwise(2, 16, 1, 3).padding(1).build(), Shape.of(1, 16, 8, 8)),
            new Case(ConvSpec.transposed(2, 8, 8, 3).stride(2).padding(1).build(), Shape.of(1, 8, 5, 5)),
            new Case(ConvSpec.conv2d(3, 8, 3).padding(1).build(), Shape.of(1, 3, 10, 10)));   // the seed's shape of layer

    @Test void everyListedImplementation_runsAsChosen_andMatchesReference() {
        List<String> failures = new ArrayList<>();
        Set<String> fwdKernels = new TreeSet<>();
        int checked = 0;
        for (Case c : CASES) {
            for (Layout tensors : Layout.values()) {
                PlanOptions options = PlanOptions.DEFAULT.withLayout(LayoutPolicy.AUTO).withUserLayout(tensors);
                for (Candidate candidate : new Candidate[] {Candidate.ANY, Candidate.CHANNELS_LAST, Candidate.CHANNELS_FIRST}) {
                    for (Direction dir : Direction.values()) {
                        List<String> names;
                        try (PointerScope scope = new PointerScope()) {
                            names = PassBuilder.implementations(NativeRuntime.get().engine(),
                                    DnnlMapping.of(c.spec(), c.src(), tensors), true, dir, candidate.layout);
                        }
                        for (int k = 0; k < names.size(); k++) {
                            if (names.get(k).startsWith("ref")) {
                                continue;   // AUTO never keeps a reference kernel
                            }
                            LayoutChoice.clear();
                            for (Direction d : Direction.values()) {
                                LayoutChoice.remember(new LayoutChoice.Key(c.spec(), c.src(), d, tensors, true, false),
                                        d == dir ? new LayoutChoice.Choice(candidate, k) : new LayoutChoice.Choice(Candidate.ANY, 0));
                            }
                            try (OneDnnPlan plan = (OneDnnPlan) Engines.onednn().prepare(c.spec(), c.src(), options)) {
                                String what = c.spec() + " " + tensors + " " + candidate + " #" + k + " " + dir.label();
                                assertEquals(names.get(k), plan.implementation(dir), what);
                                assertEquals(candidate, plan.candidate(dir), what);
                                if (dir == Direction.FWD) {
                                    fwdKernels.add(names.get(k));
                                }
                                Plan view = tensors == Layout.CHANNELS_LAST
                                        ? new ConvertingPlan(plan, ConvertingPlan.CHANNELS_LAST, what) : plan;
                                for (Result r : Parity.check(view, dir, SEED + checked)) {
                                    if (r.status() == Status.FAILED) {
                                        failures.add(what + " " + names.get(k) + ": " + r.describe());
                                    }
                                }
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        LayoutChoice.clear();
        assertEquals(List.of(), failures);
        // Every x86 build lists a JIT direct kernel and gemm:jit besides its reference kernels.
        assertTrue(fwdKernels.size() >= 2, fwdKernels.toString());
        assertTrue(checked >= CASES.size() * 2 * 3 * 2, "plans checked: " + checked);
    }
}
