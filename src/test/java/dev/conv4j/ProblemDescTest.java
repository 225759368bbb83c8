package dev.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.tensor.Shape;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProblemDescTest {

    private static ProblemDesc parse(String s) {
        return ProblemDesc.parse(s);
    }

    private static Padding.Explicit padding(ProblemDesc p) {
        return (Padding.Explicit) p.spec().padding();
    }

    // ---- benchdnn defaults -------------------------------------------------------------------

    @Test
    void aHugeProblem_isQuotedShortInItsOneLineError() {
        String tail = "x".repeat(1_000_000);
        int checked = 0;
        for (String bad : new String[] {"mb1ic3ih8oc4kh3" + tail, tail + "mb1", "mb1ic3ih8oc4kh3n\"" + tail,
                "mb1ic3ih" + "9".repeat(100_000) + "oc4kh3"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProblemDesc.parse(bad));
            assertTrue(e.getMessage().length() < 400, () -> e.getMessage().length() + ": " + e.getMessage().substring(0, 400));
            assertTrue(e.getMessage().startsWith("problem \"" + bad.substring(0, 120) + "... (" + bad.length() + " characters)\": "),
                    e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            checked++;
        }
        assertEquals(4, checked);
        // A short problem is quoted whole, as before.
        assertEquals("problem \"mb1ic3ih8oc4kh3zz\": unknown key 'zz' at \"zz\"",
                assertThrows(IllegalArgumentException.class, () -> ProblemDesc.parse("mb1ic3ih8oc4kh3zz")).getMessage());
    }

    @Test
    void parse_noMb_defaultsToTwo() {
        ProblemDesc p = parse("ic16ih7oc8kh3");
        assertEquals(2, p.mb());
        assertEquals(Shape.of(2, 16, 7, 7), p.src());
    }

    @Test
    void parse_noG_isOneGroup_gGivesTotals() {
        assertEquals(1, parse("ic16ih7oc8kh3").spec().groups());
        ProblemDesc p = parse("g4ic16ih7oc8kh3");
        assertEquals(4, p.spec().groups());
        assertEquals(16, p.spec().inChannels());
        assertEquals(8, p.spec().outChannels());
        assertEquals(Shape.of(8, 4, 3, 3), ConvShapes.wei(p.spec()));
    }

    @Test
    void parse_onlyHKeys_wCopiesEveryHValue() {
        ProblemDesc p = parse("mb1ic4ih9oc4oh5kh3sh2ph1dh1");
        ConvSpec s = p.spec();
        assertEquals(2, s.rank());
        assertEquals(Shape.of(1, 4, 9, 9), p.src());
        assertArrayEquals(new int[] {3, 3}, s.kernelSize());
        assertArrayEquals(new int[] {2, 2}, s.stride());
        assertArrayEquals(new int[] {2, 2}, s.dilation());
        assertArrayEquals(new int[] {1, 1}, padding(p).left());
        assertEquals(Shape.of(1, 4, 5, 5), p.dst());
    }

    @Test
    void parse_onlyDKeys_hAndWCopyD() {
        ProblemDesc p = parse("ic2id6oc3kd3pd1");
        assertEquals(3, p.spec().rank());
        assertEquals(Shape.of(2, 2, 6, 6, 6), p.src());
        assertEquals(Shape.of(2, 3, 6, 6, 6), p.dst());
        assertArrayEquals(new int[] {1, 1, 1}, padding(p).left());
    }

    @Test
    void parse_onlyWKeys_isOneD() {
        ProblemDesc p = parse("ic2iw10oc3kw3");
        assertEquals(1, p.spec().rank());
        assertEquals(Shape.of(2, 2, 10), p.src());
        assertEquals(Shape.of(2, 3, 8), p.dst());
    }

    @Test
    void parse_allThreeDims_keepsEach() {
        ProblemDesc p = parse("ic1id4ih5iw6oc1kd1kh2kw3");
        assertEquals(Shape.of(2, 1, 4, 5, 6), p.src());
        assertEquals(Shape.of(2, 1, 4, 4, 4), p.dst());
    }

    @Test
    void parse_wGivenWithoutStrideOrDilation_takesBenchdnnDefaultsNotH() {
        // benchdnn copies h into w only when no w key is given; otherwise sw = 1, dw = 0.
        ProblemDesc p = parse("ic1ih9iw9oc1kh3kw3sh2dh1");
        assertArrayEquals(new int[] {2, 1}, p.spec().stride());
        assertArrayEquals(new int[] {2, 1}, p.spec().dilation());
        assertEquals(Shape.of(2, 1, 3, 7), p.dst());
    }

    @Test
    void parse_strideOneAndZeroPaddingAndDenseDilation_doNotGiveADimension() {
        // sw1, pw0, dw0 alone leave w "not given", so w copies h (benchdnn's no_w test).
        ProblemDesc p = parse("ic1ih9oc1kh3sh2sw1pw0dw0");
        assertArrayEquals(new int[] {2, 2}, p.spec().stride());
    }

    @Test
    void parse_noOutput_paddingZeroAndOutputComputed() {
        ProblemDesc p = parse("ic1ih10oc1kh3sh2");
        assertEquals(Shape.of(2, 1, 4, 4), p.dst());
        assertArrayEquals(new int[] {0, 0}, padding(p).left());
        assertArrayEquals(new int[] {0, 0}, padding(p).right());
    }

    @Test
    void parse_noOutputWithPadding_rightPaddingIsExactNotSymmetric() {
        // oh = floor((224 + 2 - 3) / 2) + 1 = 112; pr = (112 - 1)·2 + 3 − 224 − 1 = 0.
        ProblemDesc p = parse("ic3ih224oc32kh3sh2ph1");
        assertEquals(Shape.of(2, 32, 112, 112), p.dst());
        assertArrayEquals(new int[] {1, 1}, padding(p).left());
        assertArrayEquals(new int[] {0, 0}, padding(p).right());
    }

    @Test
    void parse_outputWithoutPadding_deducesBenchdnnPadding() {
        // ph = ((56 − 1)·1 − 56 + 3) / 2 = 1
        ProblemDesc p = parse("mb50ic64ih56oc64oh56kh3");
        assertArrayEquals(new int[] {1, 1}, padding(p).left());
        assertArrayEquals(new int[] {1, 1}, padding(p).right());
        // ph = ((3 − 1)·2 − 7 + 3) / 2 = 0: an even total splits with the extra unit on the right
        ProblemDesc q = parse("ic1ih6oc1oh3kh3sh2");
        assertArrayEquals(new int[] {0, 0}, padding(q).left());
        assertArrayEquals(new int[] {1, 1}, padding(q).right());
        // negative deduced padding is clamped to 0: ((28 − 1)·2 − 56 + 1) / 2 = 0 (C truncation)
        ProblemDesc r = parse("ic8ih56oc8oh28kh1sh2");
        assertArrayEquals(new int[] {0, 0}, padding(r).left());
        assertArrayEquals(new int[] {0, 0}, padding(r).right());
    }

    @Test
    void parse_outputGivesRightPadding_largerOutputMeansMorePadding() {
        ProblemDesc p = parse("ic1ih5oc1oh7kh3ph1");
        assertArrayEquals(new int[] {3, 3}, padding(p).right());
        assertEquals(Shape.of(2, 1, 7, 7), p.dst());
    }

    @Test
    void parse_benchdnnDilation_isGapsPlusOne() {
        assertArrayEquals(new int[] {1, 1}, parse("ic1ih9oc1kh3dh0").spec().dilation());
        assertArrayEquals(new int[] {3, 3}, parse("ic1ih9oc1kh3dh2").spec().dilation());
        assertEquals(Shape.of(2, 1, 3, 3), parse("ic1ih9oc1kh3dh2").dst());
    }

    @Test
    void parse_underscoresAndWhitespace_ignored() {
        assertEquals(parse("mb2ic3ih5oc4kh3"), parse("  mb2_ic3_ih5__oc4_kh3_ "));
    }

    @Test
    void parse_name_quotedOrNotAndKeptWithoutQuotes() {
        assertEquals("resnet:conv1*3", parse("ic3ih5oc4kh3n\"resnet:conv1*3\"").name());
        assertEquals("plain", parse("ic3ih5oc4kh3_nplain").name());
        assertEquals("", parse("ic3ih5oc4kh3").name());
    }

    @Test
    void parse_convolution_isNotTransposedWithZeroModeAndBias() {
        ProblemDesc p = parse("ic3ih5oc4kh3");
        assertFalse(p.deconv());
        assertFalse(p.spec().transposed());
        assertEquals(PaddingMode.ZEROS, p.spec().paddingMode());
        assertTrue(p.spec().bias());
    }

    // ---- deconvolution -----------------------------------------------------------------------

    @Test
    void parseDeconv_noOutput_transposedFormula() {
        // o = (i − 1)·s − 2p + dk = 4·2 − 2 + 3 = 9
        ProblemDesc p = ProblemDesc.parse("ic8ih5oc4kh3sh2ph1", true);
        assertTrue(p.deconv());
        assertTrue(p.spec().transposed());
        assertEquals(8, p.spec().inChannels());
        assertEquals(Shape.of(2, 8, 5, 5), p.src());
        assertEquals(Shape.of(2, 4, 9, 9), p.dst());
        assertEquals(Shape.of(8, 4, 3, 3), ConvShapes.wei(p.spec()));
    }

    @Test
    void parseDeconv_outputLargerThanFormula_lowersRightPaddingThenUsesOutputPadding() {
        // PyTorch ConvTranspose2d(k=3, s=2, p=1, output_padding=1): 5 -> 10, which is right
        // padding 0 (benchdnn's pr = (5 − 1)·2 + 3 − 10 − 1 = 0), no output padding
        ProblemDesc p = ProblemDesc.parse("ic8ih5oc4oh10kh3sh2ph1", true);
        assertArrayEquals(new int[] {0, 0}, p.spec().outputPadding());
        assertArrayEquals(new int[] {0, 0}, padding(p).right());
        assertEquals(Shape.of(2, 4, 10, 10), p.dst());
        // one more: pr would be −1, so output_padding 1 (< stride 2)
        ProblemDesc q = ProblemDesc.parse("ic8ih5oc4oh11kh3sh2ph1", true);
        assertArrayEquals(new int[] {1, 1}, q.spec().outputPadding());
        assertArrayEquals(new int[] {0, 0}, padding(q).right());
        assertEquals(Shape.of(2, 4, 11, 11), q.dst());
        assertEquals(q, ProblemDesc.parse(q.format(), true));
    }

    @Test
    void parseDeconv_outputWithoutPadding_deducesPadding() {
        // ph = ((5 − 1)·2 − 10 + 4) / 2 = 1, pr = 8 + 4 − 10 − 1 = 1: the usual k4 s2 p1 upsampling
        ProblemDesc p = ProblemDesc.parse("ic8ih5oc4oh10kh4sh2", true);
        assertArrayEquals(new int[] {1, 1}, padding(p).left());
        assertArrayEquals(new int[] {1, 1}, padding(p).right());
        assertArrayEquals(new int[] {0, 0}, p.spec().outputPadding());
    }

    // ---- format ------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ic16ih7oc8kh3                                 | mb2ic16ih7oc8oh5kh3",
        "g1mb50ic3ih224iw224oc64oh112ow112kh7kw7sh2sw2ph3pw3n\"resnet_50:conv1\" | mb50ic3ih224oc64oh112kh7sh2ph3n\"resnet_50:conv1\"",
        "mb50ic64ih56oc64oh56kh3ph1n\"r\"              | mb50ic64ih56oc64oh56kh3n\"r\"",
        "g32mb1ic32ih112iw112oc32oh112ow112kh3kw3sh1sw1ph1pw1 | g32mb1ic32ih112oc32oh112kh3",
        "ic1ih9iw9oc1kh3kw3sh2dh1                      | mb2ic1ih9iw9oc1oh3ow7kh3kw3sh2dh1",
        "ic1id4ih5iw6oc1kd1kh2kw3                      | mb2ic1id4ih5iw6oc1od4oh4ow4kd1kh2kw3",
        "ic2id6oc3kd3pd1                               | mb2ic2id6oc3od6kd3",
        "ic2iw10oc3kw3                                 | mb2ic2iw10oc3ow8kw3",
        "ic1ih5oc1oh7kh3ph1                            | mb2ic1ih5oc1oh7kh3ph1",
    })
    void format_printsShortestCanonicalForm(String in, String expected) {
        ProblemDesc p = parse(in);
        assertEquals(expected, p.format());
        assertEquals(p, parse(p.format()));
    }

    @Test
    void format_deconv_roundTrips() {
        ProblemDesc p = ProblemDesc.parse("ic8ih5oc4oh10kh3sh2ph1", true);
        assertEquals("mb2ic8ih5oc4oh10kh3sh2ph1", p.format());
        assertEquals(p, ProblemDesc.parse(p.format(), true));
    }

    @Test
    void withMb_changesOnlyTheMinibatch() {
        ProblemDesc p = parse("mb50ic64ih56oc64oh56kh3n\"x\"").withMb(1);
        assertEquals(Shape.of(1, 64, 56, 56), p.src());
        assertEquals("mb1ic64ih56oc64oh56kh3n\"x\"", p.format());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.withMb(0));
        assertEquals("mb: must be >= 1, got 0", e.getMessage());
    }

    @Test
    void constructor_equivalentPadding_isBroughtToCanonicalForm() {
        // stride 2 with right padding 2 reads the same rows as right padding 1: pr = (3−1)·2 + 3 − 5 − 1 = 1
        ConvSpec spec = ConvSpec.conv2d(1, 1, 3).stride(2).padding(new int[] {1}, new int[] {2}).build();
        ProblemDesc p = new ProblemDesc("", spec, Shape.of(1, 1, 5, 5), false);
        assertArrayEquals(new int[] {1, 1}, padding(p).right());
        assertEquals(Shape.of(1, 1, 3, 3), p.dst());
        ProblemDesc same = new ProblemDesc("", ConvSpec.conv2d(1, 1, 4).padding("same").build(), Shape.of(1, 1, 6, 6), false);
        assertEquals("mb1ic1ih6oc1oh6kh4", same.format());  // ph1 is deduced
        assertArrayEquals(new int[] {2, 2}, padding(same).right());
        assertEquals(same, parse(same.format()));
    }

    @Test
    void name_controlCharacters_rejectedOnOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProblemDesc.parse("mb1ic3ih8oc4kh3n\"a\nb\""));
        assertEquals("problem \"mb1ic3ih8oc4kh3n\"a\\nb\"\": name: must not contain control characters, got \"a\\nb\"",
                e.getMessage());
        int rejected = 0;
        for (String name : new String[] {"a\rb", "tab\there", "esc\u001b[31m", "nul\u0000", "ls\u2028"}) {
            e = assertThrows(IllegalArgumentException.class, () -> ProblemDesc.parse("mb1ic3ih8oc4kh3n\"" + name + "\""));
            assertTrue(e.getMessage().contains("name: must not contain control characters"), e.getMessage());
            assertTrue(e.getMessage().codePoints().noneMatch(Character::isISOControl), e.getMessage());
            rejected++;
        }
        assertEquals(5, rejected);
        assertEquals("caf\u00e9 \u2192 ok", ProblemDesc.parse("mb1ic3ih8oc4kh3n\"caf\u00e9 \u2192 ok\"").name());
    }

    @Test
    void constructor_badParts_throw() {
        ConvSpec conv = ConvSpec.conv2d(1, 1, 3).build();
        assertEquals("deconv: true but the spec is " + conv, assertThrows(IllegalArgumentException.class,
                () -> new ProblemDesc("", conv, Shape.of(1, 1, 5, 5), true)).getMessage());
        assertEquals("name: must not contain '\"', got a\"b", assertThrows(IllegalArgumentException.class,
                () -> new ProblemDesc("a\"b", conv, Shape.of(1, 1, 5, 5), false)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ProblemDesc("", conv, Shape.of(1, 2, 5, 5), false));
    }

    // ---- errors: one per rule ----------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "mb2ic16ih7kh3zz1   | unknown key 'zz' at \"zz1\"",
        "mb2ic16ih7kh       | key 'kh' has no value",
        "mb2ic16ih7kh-3     | key 'kh' must not be negative, got -3",
        "mb2ic16ih7+3       | unexpected '+' at \"+3\"",
        "ic16ih7ih8oc1kh3   | key 'ih' is given twice",
        "ic16ih99999999999oc1kh3 | key 'ih' value 99999999999 is too large (at most 2147483647)",
        "ih7oc1kh3          | key 'ic' is required",
        "ic1ih7kh3          | key 'oc' is required",
        "ic0ih7oc1kh3       | key 'ic' must be >= 1, got 0",
        "mb0ic1ih7oc1kh3    | key 'mb' must be >= 1, got 0",
        "g0ic1ih7oc1kh3     | key 'g' must be >= 1, got 0",
        "ic1ih7oc1kh3sh0    | key 'sh' must be >= 1, got 0",
        "ic1oc1             | no spatial size: give ih and kh (2-D), iw and kw (1-D), or id and kd (3-D)",
        "ic1ih7oc1          | key 'kh' is required once any h key is given",
        "ic1oc1kh3          | key 'ih' is required once any h key is given",
        "ic1ih7iw7oc1kh3    | key 'kw' is required once any w key is given",
        "ic1id7ih7oc1kd3kh3 | a 3-D problem needs both the h and the w keys or neither, got only the h keys",
        "ic1id7iw7oc1kd3kw3 | a 3-D problem needs both the h and the w keys or neither, got only the w keys",
        "ic1ih2oc1kh5       | computed output oh=-2 must be in [1, 2147483647] (ih=2, kh=5, sh=1, ph=0, dh=0)",
        "ic1ih10oc1oh2kh1sh2 | output oh=2 is inconsistent with ih=10, kh=1, sh=2, ph=0, dh=0: a convolution gives at least 5",
        "ic1ih7oc1kh3n\"a\"b\" | name: expected n\"...\" ending the problem, got n\"a\"b\"",
        "ic1ih7oc1kh3na\"b  | name: expected n\"...\" ending the problem, got na\"b",
        "g3ic4ih7oc6kh3     | groups: 3 must divide in_channels 4 and out_channels 6",
        "mb1ic1024ih2048oc1kh1 | input: [1, 1024, 2048, 2048] has 4294967296 elements, more than the 536870848 a tensor can hold",
    })
    void parse_badInput_throwsOneLineMessageQuotingTheProblem(String in, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProblemDesc.parse(in));
        assertEquals("problem \"" + in + "\": " + message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    /** Leading zeros were counted as digits: "ih00000000000000000004" was "too large". */
    @Test
    void parse_leadingZeros_areTheSameValue() {
        assertEquals(ProblemDesc.parse("mb1ic1ih4oc1kh3"), ProblemDesc.parse("mb01ic1ih00000000000000000004oc1kh003"));
        assertEquals(ProblemDesc.parse("mb1ic1ih4oc1kh3"), ProblemDesc.parse("mb1ic1ih4oc1kh3ph0000000000000"));
        assertEquals("problem \"ic1ih0099999999999oc1kh3\": key 'ih' value 0099999999999 is too large (at most 2147483647)",
                assertThrows(IllegalArgumentException.class, () -> ProblemDesc.parse("ic1ih0099999999999oc1kh3")).getMessage());
    }

    @Test
    void parseDeconv_outputTooLarge_throws() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProblemDesc.parse("ic8ih5oc4oh12kh3sh2ph1", true));
        assertEquals("problem \"ic8ih5oc4oh12kh3sh2ph1\": output oh=12 is inconsistent with ih=5, kh=3, sh=2, "
                + "ph=1, dh=0: a transposed convolution gives at most 11", e.getMessage());
    }

    // ---- the shipped benchdnn problem lists --------------------------------------------------

    private static final Pattern OUT = Pattern.compile("o([dhw])(\\d+)");
    private static final Pattern MB = Pattern.compile("mb(\\d+)");

    @ParameterizedTest
    @CsvSource({"shapes_resnet_50, 20", "shapes_mobilenet, 11", "shapes_mobilenet_dw, 9"})
    void shapesFiles_everyLineParsesToItsOutputSizes(String file, int expectedLines) throws IOException {
        int checked = 0;
        for (String line : lines(file)) {
            ProblemDesc p = parse(line);
            Matcher mb = MB.matcher(line);
            assertTrue(mb.find(), line);
            assertEquals(Integer.parseInt(mb.group(1)), p.mb(), line);
            Shape dst = p.dst();
            Matcher m = OUT.matcher(line.substring(0, line.indexOf('n')));
            int found = 0;
            while (m.find()) {
                int k = "dhw".indexOf(m.group(1)) - (3 - p.spec().rank());
                assertEquals(Integer.parseInt(m.group(2)), dst.spatial(k), line);
                found++;
            }
            assertTrue(found >= 1, line);
            assertEquals(p, parse(p.format()), line);
            checked++;
        }
        assertEquals(expectedLines, checked);
    }

    private static List<String> lines(String file) throws IOException {
        List<String> out = new ArrayList<>();
        try (InputStream in = ProblemDescTest.class.getResourceAsStream("/problems/" + file)) {
            assertTrue(in != null, file);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("#") && !t.startsWith("--")) {
                    out.add(t);
                }
            }
        }
        return out;
    }
}
