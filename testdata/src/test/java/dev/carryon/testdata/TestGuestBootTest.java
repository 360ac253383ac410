package dev.carryon.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.testdata.ConsoleLog.BootMarker;
import dev.carryon.testdata.ConsoleLog.Tick;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Boots the real guest under TCG on a copy of its disk and checks what it printed and wrote. */
class TestGuestBootTest {

  @Test
  void bootsTicksAndWritesToItsOverlay(@TempDir Path dir) throws Exception {
    TestGuest guest = TestGuest.get();
    Path base = guest.copyDiskTo(dir);
    Path overlay = dir.resolve("overlay.qcow2");
    Exec.check("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2",
        overlay.toString());
    Path console = dir.resolve("console.log");

    long start = System.nanoTime();
    Process qemu = new ProcessBuilder(guest.qemuCommand(overlay, console))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("qemu.out").toFile())
        .start();
    BootMarker marker;
    List<String> lines;
    try {
      ConsoleLog log = new ConsoleLog(console, qemu);
      log.waitFor(ConsoleLog.BOOT, Duration.ofSeconds(90));
      System.out.printf("boot to marker: %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      marker = log.bootMarker().orElseThrow();
      assertEquals(1, marker.boot());

      log.waitFor(Pattern.compile("^TICK 3 bootid=" + Pattern.quote(marker.bootId()) + "$"),
          Duration.ofSeconds(30));
      Tick last = log.lastTick().orElseThrow();
      assertEquals(marker.bootId(), last.bootId());
      assertTrue(last.n() >= 3, last.toString());
      lines = log.lines();
    } finally {
      qemu.destroy();
      if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
        qemu.destroyForcibly().waitFor();
      }
    }

    // Exactly one marker, then ticks counting 1, 2, 3, ... under the marker's boot id.
    assertEquals(1, lines.stream().filter(l -> l.startsWith("CARRYON-BOOT ")).count(), "" + lines);
    List<String> ticks = new ArrayList<>();
    for (String line : lines) {
      Matcher m = ConsoleLog.TICK.matcher(line);
      if (m.find()) {
        ticks.add(m.group(1));
        assertEquals(marker.bootId(), m.group(2), line);
      }
    }
    assertEquals(List.of("1", "2", "3"), ticks.subList(0, 3));

    // The writes went to the overlay: the copied base is still the pristine disk.
    Exec.check("qemu-img", "compare", "-q", guest.disk().toString(), base.toString());
    Path raw = dir.resolve("disk.raw");
    Exec.check("qemu-img", "convert", "-O", "raw", overlay.toString(), raw.toString());
    String listing = debugfs(raw, "ls -p /");
    assertTrue(listing.contains("/ticks.log/"), listing); // its content may still be in page cache
    assertTrue(listing.contains("/payload.bin/262144/"), listing);
    assertEquals("1", debugfs(raw, "cat /bootcount").strip());
  }

  /** Runs one debugfs request on a raw ext4 image; debugfs's banner goes to stderr. */
  private static String debugfs(Path raw, String request) throws Exception {
    Process p = new ProcessBuilder("debugfs", "-R", request, raw.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), "debugfs -R '" + request + "' " + raw);
    return out;
  }
}
