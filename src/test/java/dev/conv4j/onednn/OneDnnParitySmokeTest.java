package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.ConvSpec;
import dev.conv4j.Direction;
import dev.conv4j.PaddingMode;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanOptions;
import dev.conv4j.reference.Parity;
import dev.conv4j.reference.Parity.Fill;
import dev.conv4j.reference.Parity.Result;
import dev.conv4j.reference.Parity.Status;
import dev.conv4j.tensor.Layout;
import dev.conv4j.tensor.Shape;
import dev.conv4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * oneDNN against the reference on a few dozen small problems covering every kind, rank and
 * option, all three directions, both fills (small integers: equality; normals: the
 * per-element bound of {@link Parity}), both user layouts, heap and direct tensors, and the
 * three layout policies. The broad parity suite lives elsewhere; this is the engine's own smoke.
 */
class OneDnnParitySmokeTest {
    private static final long SEED = 20261125L;

    /** A problem; {@code sparse} marks results that are mostly zero by construction. */
    record Case(String name, ConvSpec spec, Shape src, boolean sparse) {}

    private static Case c(String name, ConvSpec.Builder b, int... src) {
        return new Case(name, b.build(), Shape.of(src), false);
    }

    static List<Case> cases() {
        List<Case> l = new ArrayList<>();
        l.add(c("1d k3 p1", ConvSpec.conv1d(3, 4, 3).padding(1), 2, 3, 9));
        l.add(c("1d grouped strided dilated asym", ConvSpec.conv1d(4, 6, 3).groups(2).stride(2).dilation(2)
                .padding(new int[] {1}, new int[] {2}), 2, 4, 11));
        l.add(c("2d k3 p1", ConvSpec.conv2d(3, 8, 3).padding(1), 2, 3, 7, 7));
        l.add(c("2d 1x1", ConvSpec.conv2d(8, 8, 1), 2, 8, 5, 5));
        l.add(c("2d 1x1 stride 2 (negative padding_r)", ConvSpec.conv2d(8, 16, 1).stride(2), 1, 8, 8, 8));
        l.add(c("2d strided", ConvSpec.conv2d(4, 6, 3).stride(2).padding(1), 2, 4, 9, 9));
        l.add(c("2d dilated", ConvSpec.conv2d(4, 4, 3).dilation(2).padding(2), 1, 4, 9, 8));
        l.add(c("2d asymmetric padding", ConvSpec.conv2d(2, 3, 3).padding(new int[] {0, 1}, new int[] {2, 0}), 1, 2, 6, 7));
        l.add(c("2d rect kernel stride", ConvSpec.conv2d(3, 5, 2, 3).stride(1, 2).padding(0, 1), 2, 3, 6, 9));
        l.add(c("2d grouped", ConvSpec.conv2d(4, 6, 3).groups(2).padding(1), 2, 4, 6, 6));
        l.add(c("2d depthwise", ConvSpec.depthwise(2, 4, 1, 3).padding(1), 2, 4, 7, 7));
        l.add(c("2d depthwise x2 strided", ConvSpec.depthwise(2, 4, 2, 3).stride(2).padding(1), 1, 4, 9, 9));
        l.add(c("2d no bias", ConvSpec.conv2d(3, 4, 3).bias(false), 1, 3, 6, 6));
        l.add(c("2d same stride 2", ConvSpec.conv2d(3, 4, 3).stride(2).padding("same"), 1, 3, 8, 8));
        l.add(c("2d valid floor", ConvSpec.conv2d(3, 4, 3).stride(2), 1, 3, 8, 8));
        l.add(c("2d reflect", ConvSpec.conv2d(3, 4, 3).padding(1).paddingMode(PaddingMode.REFLECT), 2, 3, 6, 5));
        l.add(c("2d replicate asym", ConvSpec.conv2d(2, 3, 3).padding(new int[] {2, 1}, new int[] {0, 1})
                .paddingMode(PaddingMode.REPLICATE), 1, 2, 5, 6));
        l.add(c("2d circular strided", ConvSpec.conv2d(3, 4, 3).stride(2).padding(1).paddingMode(PaddingMode.CIRCULAR), 1, 3, 7, 7));
        l.add(c("1d circular", ConvSpec.conv1d(2, 3, 3).padding(2).paddingMode(PaddingMode.CIRCULAR), 2, 2, 6));
        l.add(c("3d k3 p1", ConvSpec.conv3d(2, 3, 3).padding(1), 1, 2, 5, 5, 5));
        l.add(c("3d grouped strided", ConvSpec.conv3d(4, 4, 1, 3, 3).groups(2).stride(1, 2, 2).padding(0, 1, 1), 1, 4, 3, 6, 6));
        l.add(c("3d replicate", ConvSpec.conv3d(2, 2, 3).padding(1).paddingMode(PaddingMode.REPLICATE), 1, 2, 4, 4, 4));
        l.add(c("1d transposed s2 op1", ConvSpec.transposed(1, 4, 3, 3).stride(2).padding(1).outputPadding(1), 2, 4, 6));
        l.add(c("2d transposed s2 op1", ConvSpec.transposed(2, 4, 6, 3).stride(2).padding(1).outputPadding(1), 1, 4, 5, 5));
        l.add(c("2d transposed grouped", ConvSpec.transposed(2, 4, 6, 3).groups(2).padding(1), 2, 4, 5, 5));
        l.add(c("2d transposed dilated no bias", ConvSpec.transposed(2, 3, 2, 3).stride(2).dilation(2).bias(false), 1, 3, 4, 4));
        l.add(c("2d transposed channelwise", ConvSpec.transposed(2, 4, 4, 3).groups(4).stride(2).padding(1), 1, 4, 5, 5));
        l.add(c("2d transposed same s2", ConvSpec.transposed(2, 3, 4, 3).stride(2).padding("same"), 1, 3, 4, 4));
        l.add(c("3d transposed k2 s2", ConvSpec.transposed(3, 2, 3, 2).stride(2), 1, 2, 3, 3, 3));
        l.add(new Case("2d transposed same k1 s2 (grows right)", ConvSpec.transposed(2, 3, 4, 1).stride(2)
                .padding("same").build(), Shape.of(1, 3, 4, 4), true));
        return l;
    }

    private static int runAll(Plan plan, Case c, List<String> failures, int[] passed) {
        int checks = 0;
        for (Direction dir : Direction.values()) {
            for (Fill fill : Fill.values()) {
                Result r = Parity.check(plan, dir, fill, SEED + checks);
                checks++;
                // MISTRUSTED (mostly zero by construction) still compared every element.
                if (r.status() == Status.PASSED) {
                    passed[0]++;
                } else if (!(c.sparse() || r.status() == Status.MISTRUSTED)) {
                    failures.add(c.name() + " [" + plan + "]: " + r.describe());
                }
            }
        }
        return checks;
    }

    @Test void everyCase_allDirections_matchReference() {
        List<String> failures = new ArrayList<>();
        int[] passed = {0};
        int checks = 0;
        List<Case> cases = cases();
        for (Case c : cases) {
            try (Plan plan = Engines.onednn().prepare(c.spec(), c.src())) {
                checks += runAll(plan, c, failures, passed);
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(30, cases.size());
        assertEquals(cases.size() * 6, checks);
        assertTrue(passed[0] >= checks - 12, "too many mostly-zero results: " + passed[0] + " of " + checks + " passed");
    }

    @Test void channelsLastUserLayout_andHeapTensors_andEveryPolicy_matchReference() {
        List<String> failures = new ArrayList<>();
        int[] passed = {0};
        int checks = 0;
        List<Case> cases = cases();
        int[] picks = {2, 7, 10, 15, 19, 23, 26};   // standard, asym, depthwise, reflect, 3d, transposed, channelwise
        LayoutPolicy[] policies = LayoutPolicy.values();
        for (int i = 0; i < picks.length; i++) {
            Case c = cases.get(picks[i]);
            LayoutPolicy policy = policies[i % policies.length];
            PlanOptions cl = PlanOptions.DEFAULT.withLayout(policy).withUserLayout(Layout.CHANNELS_LAST);
            try (Plan plan = new ConvertingPlan(Engines.onednn().prepare(c.spec(), c.src(), cl),
                    ConvertingPlan.CHANNELS_LAST,
                    "channels-last " + policy)) {
                checks += runAll(plan, c, failures, passed);
            }
            PlanOptions cf = PlanOptions.DEFAULT.withLayout(policies[(i + 1) % policies.length]);
            try (Plan plan = new ConvertingPlan(Engines.onednn().prepare(c.spec(), c.src(), cf),
                    ConvertingPlan.HEAP, "heap " + cf.layout())) {
                checks += runAll(plan, c, failures, passed);
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(picks.length * 2 * 6, checks);
        assertTrue(passed[0] >= checks - 4, "too many mostly-zero results: " + passed[0] + " of " + checks + " passed");
    }

    @Test void integerFill_singleWrongWeightIsCaught() {
        // The check is not vacuous on this engine: perturb one weight element and the exact
        // comparison fails.
        Case c = cases().get(2);
        try (Plan plan = new ForwardingPlan(Engines.onednn().prepare(c.spec(), c.src())) {
            @Override public void forward(Tensor src, Tensor wei, Tensor bia, Tensor dst) {
                Tensor w = wei.copy();
                w.set(5, w.get(5) + 1);
                super.forward(src, w, bia, dst);
            }
        }) {
            Result r = Parity.check(plan, Direction.FWD, Fill.INTEGERS, SEED);
            assertEquals(Status.FAILED, r.status(), r.describe());
            assertNotEquals(null, r.worst());
        }
    }

    @Test void changedWeights_areReorderedAgain() {
        // The plan caches the reordered weights by tensor identity and version: writing
        // through the Tensor API must be seen on the next call.
        ConvSpec spec = ConvSpec.conv2d(3, 16, 3).padding(1).build();
        Shape src = Shape.of(1, 3, 8, 8);
        try (Plan one = Engines.onednn().prepare(spec, src); Plan ref = Engines.reference().prepare(spec, src)) {
            Tensor x = Tensor.allocate(src);
            Tensor w = Tensor.allocate(one.weiShape());
            Tensor b = Tensor.allocate(one.biaShape());
            for (int i = 0; i < x.size(); i++) {
                x.set(i, (i % 7) - 3);
            }
            for (int i = 0; i < w.size(); i++) {
                w.set(i, (i % 5) - 2);
            }
            Tensor y1 = Tensor.allocate(one.dstShape());
            Tensor y2 = Tensor.allocate(one.dstShape());
            one.forward(x, w, b, y1);
            for (int i = 0; i < w.size(); i += 3) {
                w.set(i, w.get(i) + 1);
            }
            one.forward(x, w, b, y1);
            ref.forward(x, w, b, y2);
            assertTrue(java.util.Arrays.equals(y2.toArray(), y1.toArray()), "stale weights used after an update");
        }
    }
}
