package dev.conv4j.cli;

import dev.conv4j.bench.PeakEstimate;
import dev.conv4j.onednn.OneDnnEngine;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code conv4j info}: what the native backend runs with. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"oneDNN version, the CPU ISA its kernels use, threads, primitive cache capacity, the machine's",
                "fp32 peak (a vector FMA loop) and what a large oneDNN matmul achieves (cached per CPU model and",
                "thread count; measured once, a few seconds)."})
public final class InfoCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        OneDnnEngine.Info backend = OneDnnEngine.get().info();
        Map<String, String> info = new LinkedHashMap<>(backend.asMap());
        PeakEstimate peak = PeakEstimate.forThreads(backend.threads(), spec.commandLine().getErr());
        info.put("peak estimate", peak.describe());
        info.put("GEMM achievable", peak.describeGemm());
        int width = info.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, String> e : info.entrySet()) {
            out.printf("%-" + (width + 1) + "s %s%n", e.getKey() + ":", e.getValue());
        }
        out.flush();
        return Main.OK;
    }
}
