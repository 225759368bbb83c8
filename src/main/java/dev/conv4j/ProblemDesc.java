package dev.conv4j;

import dev.conv4j.tensor.Shape;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A convolution problem in oneDNN benchdnn's descriptor grammar: a {@link ConvSpec}, the
 * input ({@code src}) shape and a name, read from and written as a string such as
 * {@code mb32ic64ih56oc64oh56kh3ph1n"resnet_50:res2a_branch2b"}.
 *
 * <h2>Grammar</h2>
 * <pre>
 * gXmbX_icXidXihXiwX_ocXodXohXowX_kdXkhXkwX_sdXshXswX_pdXphXpwX_ddXdhXdwX_n"name"
 * </pre>
 * Keys may come in any order, each at most once; {@code _} may separate them; {@code n}
 * starts the name, which runs to the end of the string (quotes around it are dropped).
 * The rules are benchdnn's ({@code tests/benchdnn/conv/conv_aux.cpp}):
 * <ul>
 *   <li>{@code mb} defaults to 2, {@code g} to 1; {@code ic} and {@code oc} are required and,
 *       with {@code g}, are the totals over all groups.</li>
 *   <li>A spatial dimension ({@code d}, {@code h}, {@code w}) is given when one of its keys
 *       is (a stride of 1, padding 0 and dilation 0 do not count); it then needs its input
 *       size and kernel ({@code ih}, {@code kh}); its stride defaults to 1 and its dilation
 *       to 0.</li>
 *   <li>Only {@code w} keys: 1-D. {@code h} keys without {@code w} keys: 2-D, and every
 *       {@code w} value is the {@code h} one. {@code d} keys: 3-D, with both {@code h} and
 *       {@code w} keys or neither (then both copy {@code d}).</li>
 *   <li>Dilation counts the gaps: {@code dh0} is dense, {@code dh1} is
 *       {@link ConvSpec#dilation()} 2.</li>
 *   <li>Without an output size the padding defaults to 0 and the output is computed; with
 *       one, a missing padding is benchdnn's {@code ((o − 1)·s − i + dk) / 2} (not below 0),
 *       and the right padding is what makes the sizes match
 *       ({@link ConvShapes#exactPadRight(boolean, int, int, int, int, int, int)}), not
 *       below 0. An output size no right padding can give is an error.</li>
 *   <li>With {@code deconv} the same string is a transposed convolution: {@code ic} and
 *       {@code ih} describe its input, {@code oc} and {@code oh} its output; where the
 *       output is larger than right padding 0 gives, the rest is {@code output_padding}.</li>
 * </ul>
 *
 * <p>{@link #format()} prints the shortest string that parses back to an equal problem:
 * it always has {@code mb}, {@code ic}, {@code oc} and the input, output and kernel sizes,
 * omits defaults and a padding that benchdnn would deduce, and prints one spatial
 * dimension's keys when all of them are equal (square / cubic form). The grammar carries
 * neither the padding mode nor whether there is a bias: {@link #parse} gives zero padding
 * and a bias.
 *
 * @param name   the problem's name, without quotes; {@code ""} when it has none
 * @param spec   the layer; its padding is kept in the canonical explicit form the grammar
 *               gives (the constructor converts an equivalent one)
 * @param src    the input shape {@code [mb, ic, spatial...]}
 * @param deconv whether the problem is a transposed convolution; equals {@code spec.transposed()}
 */
public record ProblemDesc(String name, ConvSpec spec, Shape src, boolean deconv) {

    /** benchdnn's minibatch when a problem has no {@code mb}. */
    public static final int DEFAULT_MB = 2;

    // Two-letter keys first, so that "g" never shadows one.
    private static final String[] KEYS = {
        "mb", "ic", "id", "ih", "iw", "oc", "od", "oh", "ow", "kd", "kh", "kw",
        "sd", "sh", "sw", "pd", "ph", "pw", "dd", "dh", "dw", "g"};
    private static final char[] DIMS = {'d', 'h', 'w'};

    /**
     * Checks the parts and brings {@code spec}'s padding into the grammar's canonical form
     * (explicit left padding; right padding and output padding as {@link #parse} derives them
     * from the output size), which describes the same convolution.
     *
     * @throws IllegalArgumentException if {@code src} is not a valid input of {@code spec},
     *         {@code deconv != spec.transposed()}, or the name holds a {@code "} or a control
     *         character (a line break would split the output lines that print it)
     */
    public ProblemDesc {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(src, "src");
        Check.arg(name.indexOf('"') < 0, "name: must not contain '\"', got %s", name);
        if (name.codePoints().anyMatch(ProblemDesc::isControl)) {   // it is printed in output lines and CSV rows
            Check.arg(false, "name: must not contain control characters, got \"%s\"", escapeControls(name));
        }
        Check.arg(deconv == spec.transposed(), "deconv: %b but the spec is %s", deconv, spec);
        ConvShapes.validateInput(spec, src);
        spec = canonical(spec, src);
    }

    /** Parses a convolution problem; see the class javadoc for the grammar. */
    public static ProblemDesc parse(String problem) {
        return parse(problem, false);
    }

    /**
     * Parses a problem string.
     *
     * @param problem a benchdnn descriptor; read
     * @param deconv  whether it describes a transposed convolution (benchdnn's {@code --deconv})
     * @throws IllegalArgumentException with a one-line message quoting {@code problem} and
     *         naming the key and the rule
     */
    public static ProblemDesc parse(String problem, boolean deconv) {
        Objects.requireNonNull(problem, "problem");
        return new Parser(problem, deconv).parse();
    }

    /** The same problem with minibatch {@code mb} (benchdnn's {@code --mb}). */
    public ProblemDesc withMb(int mb) {
        Check.arg(mb >= 1, "mb: must be >= 1, got %d", mb);
        return new ProblemDesc(name, spec, src.with(0, mb), deconv);
    }

    /** The minibatch, {@code src.dim(0)}. */
    public int mb() {
        return src.dim(0);
    }

    /** The output shape {@code [mb, oc, spatial...]}. */
    public Shape dst() {
        return ConvShapes.dst(spec, src);
    }

    /** The shortest benchdnn string that parses (with {@link #deconv()}) to this problem. */
    public String format() {
        int rank = spec.rank();
        Dim[] dims = dims();
        boolean allEqual = true;
        for (Dim d : dims) {
            allEqual &= d.equals(dims[0]);
        }
        StringBuilder b = new StringBuilder();
        if (spec.groups() != 1) {
            b.append('g').append(spec.groups());
        }
        b.append("mb").append(mb()).append("ic").append(spec.inChannels());
        // Square / cubic form: the first dimension's keys stand for all of them.
        int from = 3 - rank;
        int to = rank > 1 && allEqual ? from + 1 : 3;
        for (int j = from; j < to; j++) {
            b.append('i').append(DIMS[j]).append(dims[j - from].i);
        }
        b.append("oc").append(spec.outChannels());
        for (int j = from; j < to; j++) {
            b.append('o').append(DIMS[j]).append(dims[j - from].o);
        }
        for (int j = from; j < to; j++) {
            b.append('k').append(DIMS[j]).append(dims[j - from].k);
        }
        for (int j = from; j < to; j++) {
            if (dims[j - from].s != 1) {
                b.append('s').append(DIMS[j]).append(dims[j - from].s);
            }
        }
        for (int j = from; j < to; j++) {
            Dim d = dims[j - from];
            if (d.p != deducedPadLeft(deconv, d.i, d.o, d.k, d.s, d.d + 1)) {
                b.append('p').append(DIMS[j]).append(d.p);
            }
        }
        for (int j = from; j < to; j++) {
            if (dims[j - from].d != 0) {
                b.append('d').append(DIMS[j]).append(dims[j - from].d);
            }
        }
        if (!name.isEmpty()) {
            b.append("n\"").append(name).append('"');
        }
        return b.toString();
    }

    /** {@link #format()}. */
    @Override public String toString() {
        return format();
    }

    // ---- internals ----------------------------------------------------------------------------

    /** One spatial dimension in benchdnn's terms: sizes, stride, left padding, dilation (gaps). */
    private record Dim(int i, int o, int k, int s, int p, int d) {}

    private Dim[] dims() {
        Shape dst = dst();
        int[] pl = ConvShapes.padLeft(spec, src);
        Dim[] out = new Dim[spec.rank()];
        for (int k = 0; k < out.length; k++) {
            // ConvSpec's dilation is PyTorch's (1 = dense), benchdnn's counts the gaps: this and
            // Parser.resolve are the two conversions of this class (DnnlMapping has the other).
            out[k] = new Dim(src.spatial(k), dst.spatial(k), spec.kernel(k), spec.stride(k), pl[k],
                    spec.dilation(k) - 1);
        }
        return out;
    }

    /** The left padding parse assumes when the output size is given and the padding is not. */
    private static int deducedPadLeft(boolean deconv, int i, int o, int k, int s, int dilation) {
        long p = ConvShapes.padLeftForOutput(deconv, i, o, k, s, dilation);
        return (int) Math.min(Math.max(p, 0), Integer.MAX_VALUE);
    }

    /**
     * The right padding and output padding that give output {@code o} with left padding
     * {@code pl}: benchdnn's exact right padding where it is &gt;= 0; below 0 a convolution
     * uses 0 (the floor drops the rest) and a transposed one turns it into output padding.
     * {@code null} when no such pair exists.
     */
    private static int[] rightSide(boolean deconv, int i, int o, int k, int s, int dilation, int pl) {
        long exact = ConvShapes.exactPadRight(deconv, i, o, k, s, dilation, pl);
        if (exact > Integer.MAX_VALUE) {
            return null;
        }
        if (!deconv) {
            int pr = (int) Math.max(exact, 0);
            return ConvShapes.convOutputSize(i, k, s, dilation, pl, pr) == o ? new int[] {pr, 0} : null;
        }
        if (exact >= 0) {
            return new int[] {(int) exact, 0};
        }
        long op = -exact;
        return ConvShapes.outputPaddingAllowed(op, s, dilation) ? new int[] {0, (int) op} : null;
    }

    private static ConvSpec canonical(ConvSpec spec, Shape src) {
        int rank = spec.rank();
        Shape dst = ConvShapes.dst(spec, src);
        int[] pl = ConvShapes.padLeft(spec, src);
        int[] pr = new int[rank];
        int[] op = new int[rank];
        for (int k = 0; k < rank; k++) {
            int[] r = rightSide(spec.transposed(), src.spatial(k), dst.spatial(k), spec.kernel(k),
                    spec.stride(k), spec.dilation(k), pl[k]);
            Check.arg(r != null, "padding: %s with input %s cannot be written as a problem string", spec, src);
            pr[k] = r[0];
            op[k] = r[1];
        }
        ConvSpec c = spec.toBuilder().padding(pl, pr).outputPadding(op).build();
        return c.equals(spec) ? spec : c;
    }

    /** One parse of one string; errors quote it. */
    private static final class Parser {
        private final String problem;
        private final String str;
        private final boolean deconv;
        private final Map<String, Integer> values = new HashMap<>();
        private String name = "";

        Parser(String problem, boolean deconv) {
            this.problem = problem;
            this.str = problem.strip();
            this.deconv = deconv;
        }

        ProblemDesc parse() {
            readKeys();
            for (String key : new String[] {"ic", "oc"}) {
                if (!values.containsKey(key)) {
                    throw fail("key '%s' is required", key);
                }
            }
            for (Map.Entry<String, Integer> e : values.entrySet()) {
                char c = e.getKey().charAt(0);
                boolean positive = c != 'p' && c != 'd';
                if (positive && e.getValue() < 1) {
                    throw fail("key '%s' must be >= 1, got %d", e.getKey(), e.getValue());
                }
            }
            boolean[] given = new boolean[3];
            for (int j = 0; j < 3; j++) {
                given[j] = isGiven(DIMS[j]);
            }
            int from;
            if (given[0]) {
                if (given[1] != given[2]) {
                    throw fail("a 3-D problem needs both the h and the w keys or neither, got only the %s keys",
                            given[1] ? "h" : "w");
                }
                from = 0;
            } else if (given[1]) {
                from = 1;
            } else if (given[2]) {
                from = 2;
            } else {
                throw fail("no spatial size: give ih and kh (2-D), iw and kw (1-D), or id and kd (3-D)");
            }
            int rank = 3 - from;
            int[] i = new int[rank];
            int[] k = new int[rank];
            int[] s = new int[rank];
            int[] pl = new int[rank];
            int[] pr = new int[rank];
            int[] op = new int[rank];
            int[] dilation = new int[rank];
            int[] last = null;
            for (int j = from; j < 3; j++) {
                // A dimension without keys copies the one before it (square / cubic form).
                int[] r = given[j] ? resolve(DIMS[j]) : last;
                int x = j - from;
                i[x] = r[0];
                k[x] = r[1];
                s[x] = r[2];
                pl[x] = r[3];
                pr[x] = r[4];
                op[x] = r[5];
                dilation[x] = r[6];
                last = r;
            }
            int mb = values.getOrDefault("mb", DEFAULT_MB);
            int ic = values.get("ic");
            int[] srcDims = new int[rank + 2];
            srcDims[0] = mb;
            srcDims[1] = ic;
            System.arraycopy(i, 0, srcDims, 2, rank);
            try {
                ConvSpec spec = ConvSpec.builder(rank, ic, values.get("oc"), k).stride(s).padding(pl, pr)
                        .dilation(dilation).groups(values.getOrDefault("g", 1)).transposed(deconv)
                        .outputPadding(op).build();
                return new ProblemDesc(name, spec, Shape.of(srcDims), deconv);
            } catch (IllegalArgumentException e) {
                throw fail("%s", e.getMessage());
            }
        }

        private void readKeys() {
            int n = str.length();
            int pos = 0;
            while (pos < n) {
                char c = str.charAt(pos);
                if (c == '_') {
                    pos++;
                    continue;
                }
                if (c == 'n') {
                    name = readName(str.substring(pos + 1));
                    return;
                }
                String key = keyAt(pos);
                if (key == null) {
                    int end = pos;
                    while (end < n && Character.isLetter(str.charAt(end))) {
                        end++;
                    }
                    if (end == pos) {
                        throw fail("unexpected '%c' at \"%s\"", c, clip(str.substring(pos), 60));
                    }
                    throw fail("unknown key '%s' at \"%s\"", clip(str.substring(pos, end), 60), clip(str.substring(pos), 60));
                }
                pos += key.length();
                int start = pos;
                while (pos < n && str.charAt(pos) >= '0' && str.charAt(pos) <= '9') {
                    pos++;
                }
                if (pos == start) {
                    if (pos + 1 < n && str.charAt(pos) == '-' && Character.isDigit(str.charAt(pos + 1))) {
                        throw fail("key '%s' must not be negative, got %s", key, clip(str.substring(pos), 60));
                    }
                    throw fail("key '%s' has no value", key);
                }
                String digits = str.substring(start, pos);
                // leading zeros do not make a value large ("ih0000000000004" is 4, as benchdnn reads it)
                String significant = digits.replaceFirst("^0+(?=.)", "");
                long v = significant.length() > 10 ? Long.MAX_VALUE : Long.parseLong(significant);
                if (v > Integer.MAX_VALUE) {
                    throw fail("key '%s' value %s is too large (at most %d)", key, clip(digits, 60), Integer.MAX_VALUE);
                }
                if (values.put(key, (int) v) != null) {
                    throw fail("key '%s' is given twice", key);
                }
            }
        }

        private String keyAt(int pos) {
            for (String key : KEYS) {
                if (str.startsWith(key, pos)) {
                    return key;
                }
            }
            return null;
        }

        private String readName(String rest) {
            if (rest.startsWith("\"")) {
                if (rest.length() < 2 || !rest.endsWith("\"") || rest.indexOf('"', 1) != rest.length() - 1) {
                    throw fail("name: expected n\"...\" ending the problem, got n%s", clip(rest, 60));
                }
                return rest.substring(1, rest.length() - 1);
            }
            if (rest.indexOf('"') >= 0) {
                throw fail("name: expected n\"...\" ending the problem, got n%s", clip(rest, 60));
            }
            return rest;
        }

        /** benchdnn's test: a stride of 1, padding 0 and dilation 0 alone do not give a dimension. */
        private boolean isGiven(char dim) {
            return values.containsKey("i" + dim) || values.containsKey("k" + dim) || values.containsKey("o" + dim)
                    || values.getOrDefault("d" + dim, 0) > 0 || values.getOrDefault("s" + dim, 1) != 1
                    || values.getOrDefault("p" + dim, 0) > 0;
        }

        /** {i, k, s, pl, pr, outputPadding, dilation (1 = dense)} of one given dimension. */
        private int[] resolve(char dim) {
            for (char key : new char[] {'i', 'k'}) {
                if (!values.containsKey(key + "" + dim)) {
                    throw fail("key '%c%c' is required once any %c key is given", key, dim, dim);
                }
            }
            int i = values.get("i" + dim);
            int k = values.get("k" + dim);
            int s = values.getOrDefault("s" + dim, 1);
            int gaps = values.getOrDefault("d" + dim, 0);
            // benchdnn's dilation counts the gaps (0 = dense), ConvSpec's is PyTorch's (1 = dense):
            // this and dims() are the conversions of this class (DnnlMapping has the other).
            long dilationL = (long) gaps + 1;
            if (dilationL > Integer.MAX_VALUE) {
                throw fail("key 'd%c' value %d is too large", dim, gaps);
            }
            int dilation = (int) dilationL;
            Integer p = values.get("p" + dim);
            int o;
            int pl;
            if (!values.containsKey("o" + dim)) {
                pl = p == null ? 0 : p;
                long out = deconv
                        ? ConvShapes.transposedOutputSize(i, k, s, dilation, pl, pl, 0)
                        : ConvShapes.convOutputSize(i, k, s, dilation, pl, pl);
                if (out < 1 || out > Integer.MAX_VALUE) {
                    throw fail("computed output o%c=%d must be in [1, %d] (%s)", dim, out, Integer.MAX_VALUE,
                            sizes(dim, i, k, s, pl, gaps));
                }
                o = (int) out;
            } else {
                o = values.get("o" + dim);
                pl = p != null ? p : deducedPadLeft(deconv, i, o, k, s, dilation);
            }
            int[] r = rightSide(deconv, i, o, k, s, dilation, pl);
            if (r == null) {
                String bound;
                if (ConvShapes.exactPadRight(deconv, i, o, k, s, dilation, pl) > Integer.MAX_VALUE) {
                    bound = "its right padding would be too large";
                } else if (deconv) {
                    bound = "a transposed convolution gives at most "
                            + ConvShapes.transposedOutputSize(i, k, s, dilation, pl, 0, Math.max(s, dilation) - 1);
                } else {
                    bound = "a convolution gives at least " + ConvShapes.convOutputSize(i, k, s, dilation, pl, 0);
                }
                throw fail("output o%c=%d is inconsistent with %s: %s", dim, o, sizes(dim, i, k, s, pl, gaps), bound);
            }
            return new int[] {i, k, s, pl, r[0], r[1], dilation};
        }

        private static String sizes(char dim, int i, int k, int s, int pl, int gaps) {
            return String.format(Locale.ROOT, "i%c=%d, k%c=%d, s%c=%d, p%c=%d, d%c=%d",
                    dim, i, dim, k, dim, s, dim, pl, dim, gaps);
        }

        private IllegalArgumentException fail(String fmt, Object... args) {
            return new IllegalArgumentException(
                    "problem \"" + clip(escapeControls(problem), 120) + "\": " + String.format(Locale.ROOT, fmt, args));
        }
    }

    private static boolean isControl(int cp) {
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }

    /** {@code s}, or its first {@code max} characters and its length: a message quotes a problem of megabytes in one short line. */
    static String clip(String s, int max) {
        return s.length() <= max ? s : Check.abbreviate(s, max) + " (" + s.length() + " characters)";
    }

    /** {@code s} with control characters written as Java escapes (such as {@code \n}), for one-line messages. */
    static String escapeControls(String s) {
        if (s.codePoints().noneMatch(ProblemDesc::isControl)) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (isControl(cp)) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", cp));
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
        });
        return b.toString();
    }
}
