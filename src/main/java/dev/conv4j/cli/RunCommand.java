package dev.conv4j.cli;

import dev.conv4j.ConvShapes;
import dev.conv4j.ConvSpec;
import dev.conv4j.PaddingMode;
import dev.conv4j.ProblemDesc;
import dev.conv4j.engine.Engine;
import dev.conv4j.engine.Plan;
import dev.conv4j.engine.PlanArgs;
import dev.conv4j.io.IoErrors;
import dev.conv4j.io.Npy;
import dev.conv4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code conv4j run}: one convolution on NPY tensors. Every input is read and checked, and
 * every result computed, before anything is written; the results are then written to the
 * output directory, and removed again if a write fails, so a failed run leaves nothing.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {
                "Runs one convolution on float32 NPY tensors in PyTorch layouts and writes the results.",
                "Activations [N, C, (D,) (H,) W]; weights [OC, IC/G, K...] (transposed: [IC, OC/G, K...]); bias [OC].",
                "Writes dst.npy; with --diff-dst also diff_src.npy, diff_wei.npy and (with --bia) diff_bia.npy.",
                "The descriptor's padding is the padding amount; --padding-mode says what fills it."})
public final class RunCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--problem", required = true, paramLabel = "DESC",
            description = "A benchdnn conv descriptor; its mb must match the src tensor.")
    String problem;

    @Option(names = "--deconv", description = "Read the descriptor as a transposed convolution.")
    boolean deconv;

    @Option(names = "--padding-mode", paramLabel = "MODE", defaultValue = "zeros",
            description = "zeros, reflect, replicate or circular (default: ${DEFAULT-VALUE}).")
    String paddingMode;

    @Mixin EngineOption engineOption;

    @Option(names = "--src", required = true, paramLabel = "F.npy", description = "Input.")
    Path src;

    @Option(names = "--wei", required = true, paramLabel = "F.npy", description = "Weights.")
    Path wei;

    @Option(names = "--bia", paramLabel = "F.npy", description = "Bias; without it the layer has none.")
    Path bia;

    @Option(names = "--diff-dst", paramLabel = "F.npy",
            description = "Gradient of the output: also run backward-data and backward-weights.")
    Path diffDst;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the results (created if missing).")
    Path out;

    @Override public Integer call() throws IOException {
        ProblemDesc p = ProblemDesc.parse(problem, deconv);
        ConvSpec conv = p.spec().toBuilder().paddingMode(PaddingMode.parse(paddingMode)).bias(bia != null).build();
        Engine e = engineOption.engine();
        // The output directory is made (and shown writable) before any input is read or computed;
        // if anything fails later, what was created here is removed again.
        List<Path> created = prepareOutputDirectory(out);
        boolean ok = false;
        try {
            Map<String, Tensor> results = compute(p, conv, e);
            writeAll(out, results);
            ok = true;
            PrintWriter o = spec.commandLine().getOut();
            o.printf("%s on %s%n", conv, e.name());
            for (Map.Entry<String, Tensor> r : results.entrySet()) {
                o.printf("wrote %s %s%n", out.resolve(r.getKey() + ".npy"), r.getValue().shape());
            }
            o.flush();
            return Main.OK;
        } finally {
            if (!ok) {
                removeEmpty(created);
            }
        }
    }

    private Map<String, Tensor> compute(ProblemDesc p, ConvSpec conv, Engine e) {
        // Read and check every input before any computation.
        Tensor x = read("src", src);
        Tensor w = read("wei", wei);
        Tensor b = bia == null ? null : read("bia", bia);
        Tensor dy = diffDst == null ? null : read("diff_dst", diffDst);
        // Shapes first, named after the tensor: the descriptor fixes every one of them.
        PlanArgs.check("src", x, p.src(), null);
        PlanArgs.check("wei", w, ConvShapes.wei(conv), null);
        PlanArgs.check("bia", b, ConvShapes.bia(conv), null);
        PlanArgs.check("diff_dst", dy, dy == null ? null : ConvShapes.dst(conv, p.src()), null);
        Map<String, Tensor> results = new LinkedHashMap<>();
        try (Plan plan = e.prepare(conv, x.shape())) {
            Tensor y = Tensor.allocate(plan.dstShape());
            plan.forward(x, w, b, y);
            results.put("dst", y);
            if (dy != null) {
                Tensor dx = Tensor.allocate(plan.srcShape());
                plan.backwardData(dy, w, dx);
                results.put("diff_src", dx);
                Tensor dw = Tensor.allocate(plan.weiShape());
                Tensor db = plan.biaShape() == null ? null : Tensor.allocate(plan.biaShape());
                plan.backwardWeights(x, dy, dw, db);
                results.put("diff_wei", dw);
                if (db != null) {
                    results.put("diff_bia", db);
                }
            }
        }
        return results;
    }

    /**
     * Makes {@code dir} (and its missing parents) and writes a probe file in it, so that an
     * unusable {@code --out} fails before the inputs are read and the results computed.
     *
     * @return the directories created, outermost first
     * @throws IllegalArgumentException {@code out: ...} naming the directory and the reason
     */
    static List<Path> prepareOutputDirectory(Path dir) {
        if (dir.toString().isEmpty()) {
            throw new IllegalArgumentException("out: must not be empty: give a directory for the results");
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("out: '" + dir + "' exists and is not a directory");
        }
        List<Path> created = new ArrayList<>();
        for (Path d = dir.toAbsolutePath(); d != null && !Files.exists(d); d = d.getParent()) {
            created.add(0, d);
        }
        Path existing = created.isEmpty() ? dir.toAbsolutePath() : created.get(0).getParent();
        if (existing != null && !Files.isDirectory(existing)) {
            throw new IllegalArgumentException("out: cannot create '" + dir + "': '" + existing + "' is not a directory");
        }
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".conv4j-", ".probe"));
        } catch (IOException e) {
            removeEmpty(created);
            if (!Files.isDirectory(dir)) {   // /proc answers "no such file" to a mkdir: say what failed instead
                throw new IllegalArgumentException("out: cannot create the directory '" + dir + "'"
                        + (e instanceof NoSuchFileException ? "" : ": " + IoErrors.describe(e)), e);
            }
            throw new IllegalArgumentException("out: cannot write to '" + dir + "': " + IoErrors.describe(e), e);
        }
        return created;
    }

    /** Removes the directories in {@code created} (outermost first) that are empty, innermost first. */
    private static void removeEmpty(List<Path> created) {
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                Files.deleteIfExists(created.get(i));
            } catch (IOException e) {
                return;   // not empty, or not ours to remove: leave it and its parents
            }
        }
    }

    /** Reads the NPY file of option {@code name}; every failure names the option and the file. */
    private static Tensor read(String name, Path file) {
        // A FIFO or a device would block or never end: only regular files are read.
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(name + ": no such file '" + file + "'");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(name + ": '" + file + "' is not a regular file");
        }
        try {
            return Npy.read(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": cannot read '" + file + "': " + IoErrors.describe(e), e);
        } catch (IllegalArgumentException e) {   // Npy names the file and the rule; the option goes in front
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code name.npy} for each result into {@code dir}; on failure removes what it wrote. */
    private static void writeAll(Path dir, Map<String, Tensor> results) throws IOException {
        List<Path> written = new ArrayList<>();
        try {
            for (Map.Entry<String, Tensor> r : results.entrySet()) {
                Path f = dir.resolve(r.getKey() + ".npy");
                Npy.write(f, r.getValue());
                written.add(f);
            }
        } catch (IOException | RuntimeException e) {
            for (Path f : written) {
                Files.deleteIfExists(f);
            }
            if (e instanceof IOException io) {
                throw new IllegalArgumentException("out: cannot write to '" + dir + "': " + IoErrors.describe(io), io);
            }
            throw e;
        }
    }
}
