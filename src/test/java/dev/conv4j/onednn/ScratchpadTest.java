package dev.conv4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.Direction;
import dev.conv4j.ProblemDesc;
import dev.conv4j.engine.Engines;
import dev.conv4j.engine.LayoutPolicy;
import dev.conv4j.engine.PlanOptions;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A training plan holds one user-mode scratchpad for all its passes: its size is the largest
 * any step needs (not the sum), and every step's scratchpad points at the same buffer. Also
 * under {@code AUTO}, which times each candidate with a scratchpad of its own and closes the
 * slower ones.
 */
class ScratchpadTest {

    /** {@code minPasses}: how many passes need a scratchpad with these kernels (channels-last 3×3: brgemm fwd and bwd_d). */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = ';', value = {
            "mb2ic64ih14oc64oh14kh3ph1n\"resnet_50:3x3\"; CHANNELS_LAST; 2",
            "mb2ic64ih14oc64oh14kh3ph1n\"resnet_50:3x3\"; AUTO; 0",
            "mb2ic4ih6oc8oh6kh3ph1; ANY; 0"})
    void trainingPlan_oneScratchpadSizedToTheLargestStep(String problem, LayoutPolicy policy, int minPasses) {
        ProblemDesc p = ProblemDesc.parse(problem);
        try (OneDnnPlan plan = (OneDnnPlan) Engines.onednn().prepare(p.spec(), p.src(),
                PlanOptions.DEFAULT.withLayout(policy))) {
            long largest = 0;
            int passesWithScratchpad = 0;
            for (Direction d : Direction.values()) {
                long bytes = plan.pass(d).scratchpadBytes();
                largest = Math.max(largest, bytes);
                passesWithScratchpad += bytes > 0 ? 1 : 0;
            }
            String report = problem + " " + policy + ": largest step " + largest + " B, plan holds "
                    + plan.scratchpadBytes() + " B at " + plan.scratchpadAddresses();
            assertTrue(passesWithScratchpad >= minPasses, report);   // otherwise there is nothing to share
            assertEquals(largest, plan.scratchpadBytes(), report);
            Set<Long> addresses = plan.scratchpadAddresses();
            assertEquals(largest > 0 ? 1 : 0, addresses.size(), report);
            assertTrue(addresses.stream().allMatch(a -> a != 0), report);
        }
    }

    /** The matmul candidates share the one buffer too (backward-weights with bias runs two matmuls). */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CHANNELS_LAST, MATMUL, mb1ic64ih14oc128oh14kh1", "CHANNELS_LAST, MATMUL_PACKED, mb1ic64ih14oc128oh14kh1",
            "CHANNELS_FIRST, MATMUL, mb1ic64ih14oc128oh14kh1", "CHANNELS_LAST, MATMUL, mb2ic64ih14oc128oh7kh1sh2",
            "CHANNELS_LAST, MATMUL_TRANSPOSED, mb2ic64ih14oc128oh7kh1sh2"})
    void matmulPlan_oneScratchpadSizedToTheLargestStep(dev.conv4j.tensor.Layout layout, Candidate candidate, String desc) {
        ProblemDesc p = ProblemDesc.parse(desc);
        boolean strided = p.spec().stride(0) != 1;   // channels-last fwd and bwd_w gathered, bwd_d a convolution
        try (OneDnnPlan plan = new OneDnnPlan(NativeRuntime.get(), p.spec(), p.src(),
                PlanOptions.DEFAULT.withUserLayout(layout), candidate)) {
            long largest = 0;
            for (Direction d : Direction.values()) {
                assertEquals(!strided || d != Direction.BWD_D, plan.candidate(d).matmul(), d.label());
                largest = Math.max(largest, plan.pass(d).scratchpadBytes());
            }
            String report = layout + " " + candidate + ": largest step " + largest + " B, plan holds "
                    + plan.scratchpadBytes() + " B at " + plan.scratchpadAddresses();
            assertEquals(largest, plan.scratchpadBytes(), report);
            assertEquals(largest > 0 ? 1 : 0, plan.scratchpadAddresses().size(), report);
        }
    }
}
