package dev.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.Direction;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class BenchReportTest {

    static final String RES = "mb32ic64ih56oc64oh56kh3ph1n\"resnet_50:res2a_branch2b\"";

    static BenchRow row(Direction dir, long medianNs, Stats baseline) {
        Stats s = Stats.ofNanos(medianNs - 100_000, medianNs, medianNs + 500_000);
        return BenchRow.of(RES, dir, 32, "onednn", "any", 2, s, 7.4e9, 400.0, "brg_conv_fwd:avx2", baseline);
    }

    @Test
    void csvHeaderIsExactlyTheContract() {
        String csv = BenchReport.csv(List.of());
        assertEquals("problem,dir,mb,engine,layout,threads,median_ms,min_ms,max_ms,gflops,pct_peak,impl,baseline_ms,overhead\n", csv);
        assertEquals(14, BenchReport.COLUMNS.size());
    }

    @Test
    void csvRowWithoutBaselineHasEmptyLastFields() {
        String csv = BenchReport.csv(List.of(row(Direction.FWD, 20_000_000, null)));
        String[] lines = csv.split("\n");
        assertEquals(2, lines.length);
        // The problem holds quotes, so it is quoted with doubled quotes (RFC 4180).
        assertEquals("\"mb32ic64ih56oc64oh56kh3ph1n\"\"resnet_50:res2a_branch2b\"\"\",fwd,32,onednn,any,2,"
                + "20,19.9,20.5,370.00,92.5,brg_conv_fwd:avx2,,", lines[1]);
    }

    @Test
    void csvRowWithBaselineHasOverheadRatio() {
        String csv = BenchReport.csv(List.of(row(Direction.BWD_W, 20_000_000, Stats.ofNanos(19_600_000))));
        String line = csv.split("\n")[1];
        assertTrue(line.endsWith(",bwd_w,32,onednn,any,2,20,19.9,20.5,370.00,92.5,brg_conv_fwd:avx2,19.6,1.0204"), line);
    }

    @Test
    void jsonCarriesTheCsvFieldsForEveryRow() {
        List<BenchRow> rows = List.of(row(Direction.FWD, 20_000_000, Stats.ofNanos(19_000_000)),
                row(Direction.BWD_D, 40_000_000, Stats.ofNanos(40_000_000)));
        String json = BenchReport.json(rows, 400.0);
        for (String col : BenchReport.COLUMNS) {
            Matcher m = Pattern.compile("\"" + col + "\": ").matcher(json);
            int n = 0;
            while (m.find()) {
                n++;
            }
            assertEquals(2, n, col);
        }
        assertTrue(json.contains("\"problem\": \"mb32ic64ih56oc64oh56kh3ph1n\\\"resnet_50:res2a_branch2b\\\"\""), json);
        assertTrue(json.contains("\"dir\": \"bwd_d\""), json);
        assertTrue(json.contains("\"mb\": 32, "), json);
        assertTrue(json.contains("\"median_ms\": 20, "), json);
        assertTrue(json.contains("\"gflops\": 185.00, "), json);
        assertTrue(json.contains("\"overhead\": 1.0526}"), json);
        assertTrue(json.contains("\"peak_gflops\": 400.0,"), json);
        // geomean of 20/19 and 1
        assertTrue(json.contains(String.format(java.util.Locale.ROOT, "\"overhead_geomean\": %.4f,", Math.sqrt(20.0 / 19))), json);
    }

    @Test
    void jsonUsesNullForMissingValues() {
        BenchRow r = BenchRow.of("mb1ic3ih8oc4oh8kh3ph1", Direction.FWD, 1, "reference", "any", 1,
                Stats.ofNanos(1_000_000), 1e6, Double.NaN, "java:reference", null);
        String json = BenchReport.json(List.of(r), Double.NaN);
        assertTrue(json.contains("\"pct_peak\": null"), json);
        assertTrue(json.contains("\"baseline_ms\": null, \"overhead\": null}"), json);
        assertTrue(json.contains("\"peak_gflops\": null"), json);
        assertTrue(json.contains("\"overhead_geomean\": null"), json);
    }

    @Test
    void tableHasAHeaderARowPerResultAndThePeak() {
        List<BenchRow> rows = List.of(row(Direction.FWD, 20_000_000, Stats.ofNanos(20_000_000)),
                row(Direction.BWD_D, 20_000_000, Stats.ofNanos(20_000_000)));
        String[] lines = BenchReport.table(rows, 400).split("\n");
        assertEquals(4, lines.length);
        assertTrue(lines[0].startsWith("problem"), lines[0]);
        assertTrue(lines[3].startsWith("peak: 400.0 GFLOP/s; overhead vs raw oneDNN (geomean of 2): 1.0000"), lines[3]);
    }

    @Test
    void theGemmFigureFollowsThePeakWhenKnown() {
        List<BenchRow> rows = List.of(row(Direction.FWD, 20_000_000, null));
        String[] lines = BenchReport.table(rows, 160.25, 132.6).split("\n");
        assertEquals("peak: 160.3 GFLOP/s, GEMM achievable: 132.6 GFLOP/s", lines[2]);
        assertEquals("peak: 160.3 GFLOP/s", BenchReport.table(rows, 160.25, Double.NaN).split("\n")[2]);
        String json = BenchReport.json(rows, 160.25, 132.6);
        assertTrue(json.startsWith("{\n  \"peak_gflops\": 160.3,\n  \"gemm_gflops\": 132.6,\n  \"overhead_geomean\": null,"), json);
        assertTrue(BenchReport.json(rows, 160.25).contains("\"gemm_gflops\": null,"));
        // The CSV carries neither: its header is a contract.
        assertEquals(BenchReport.CSV_HEADER, BenchReport.csv(rows).split("\n")[0]);
    }

    @Test
    void overheadGeomeanIgnoresRowsWithoutBaseline() {
        List<BenchRow> rows = List.of(row(Direction.FWD, 20_000_000, Stats.ofNanos(10_000_000)),
                row(Direction.BWD_D, 20_000_000, Stats.ofNanos(40_000_000)),
                row(Direction.BWD_W, 20_000_000, null));
        assertEquals(1.0, BenchReport.overheadGeomean(rows), 1e-12);
        assertTrue(Double.isNaN(BenchReport.overheadGeomean(List.of(rows.get(2)))));
    }

    @Test
    void numbersArePlainDecimals() {
        assertEquals("0.00412346", BenchReport.significant(0.004123456));
        assertEquals("1234.57", BenchReport.significant(1234.5678));
        assertEquals("123457", BenchReport.significant(123456.7));
        assertEquals("370.00", BenchReport.rate(370, 2));
        assertEquals("0.00123", BenchReport.rate(0.0012345, 2));
        assertEquals("plain", BenchReport.csvField("plain"));
        assertEquals("\"a,b\"", BenchReport.csvField("a,b"));
    }
}
