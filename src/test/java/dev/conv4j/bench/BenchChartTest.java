package dev.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conv4j.Direction;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchChartTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    @Test
    void writesAReadablePngWithOneBarPerProblemAndDirection(@TempDir Path dir) throws Exception {
        List<BenchRow> rows = new ArrayList<>();
        String[] problems = {"mb1ic64ih56oc64oh56kh3ph1n\"resnet_50:res2a_branch2b\"", "mb1ic256ih56oc64oh56kh1n\"resnet_50:res2b_branch2a\""};
        long t = 1_000_000;
        for (String p : problems) {
            for (Direction d : Direction.values()) {
                rows.add(BenchRow.of(p, d, 1, "onednn", "any", 2, Stats.ofNanos(t), 2e8, 400, "brg", null));
                t += 250_000;
            }
        }
        Path png = dir.resolve("sub/chart.png");
        BenchChart.write(rows, 400, "onednn, 2 threads", png);
        assertTrue(Files.size(png) > 1000, "png size " + Files.size(png));
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertEquals(1100, img.getWidth());
        assertTrue(img.getHeight() >= 360);
    }

    @Test
    void labelsUseTheBenchdnnNameOrTheDescriptorWithTheMinibatch() {
        assertEquals("resnet_50:res2a_branch2b (mb32)", BenchChart.label("mb32ic64ih56oc64oh56kh3ph1n\"resnet_50:res2a_branch2b\"", 32));
        assertEquals("ic3ih8oc4oh8kh3ph1 (mb2)", BenchChart.label("mb2ic3ih8oc4oh8kh3ph1", 2));
    }

    @Test
    void refusesAnEmptyChart(@TempDir Path dir) {
        assertEquals("chart: no results to draw", assertThrows(IllegalArgumentException.class,
                () -> BenchChart.write(List.of(), 1, null, dir.resolve("x.png"))).getMessage());
    }
}
