package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.firstTick;
import static dev.carryon.launcher.session.SessionKit.host;
import static dev.carryon.launcher.session.SessionKit.tickAbove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.CarrierFiles;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit.Run;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VM a person works in (issue 15): a screen, a keyboard and mouse, a network card with a fixed
 * MAC, carried A -> B with the screen and the network going on; a real window under Xvfb; and an
 * old headless carrier resuming as before.
 */
class WorkstationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path root;

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  @Test
  void aDesktopVmCarriesItsScreenAndNetworkFromAToB() throws Exception {
    TestHost a = host(root, "deskA");
    TestHost b = host(root, "deskB");
    Path carrier = root.resolve("desk");
    Run init = SessionKit.init(a, carrier);
    assertTrue(
        init.out().matches("(?s).*devices: virtio-vga, qemu-xhci, usb-tablet, usb-kbd,"
            + " virtio-net-pci,mac=52:54:00(:[0-9a-f]{2}){3}\n.*"),
        init.out());

    int portA = freePort();
    Path logA = root.resolve("deskA.log");
    Run onA = a.resume(carrier, logA, "--hostfwd", "tcp:127.0.0.1:" + portA + "-:80");
    assertTrue(onA.out().contains("screen: not shown (no desktop session here)"), onA.out());
    ConsoleLog consoleA = new ConsoleLog(logA);
    consoleA.waitFor(ConsoleLog.NET, SessionKit.BOOT);
    ConsoleLog.Tick tickA = tickAbove(consoleA, 2);
    String ticksA = get(portA);
    assertTrue(ticksA.contains("TICK 1 bootid=" + tickA.bootId() + "\n"), ticksA);
    Path nowA = root.resolve("deskA-now.png");
    assertTrue(a.run("screenshot", carrier.toString(), nowA.toString()).expect(0).out()
        .contains("as it is now"));
    BufferedImage screenA = ImageIO.read(nowA.toFile());
    assertEquals(List.of(720, 400), List.of(screenA.getWidth(), screenA.getHeight()), "VGA text mode");
    assertTrue(lightGrayPixels(screenA) > 500, "the TICK lines are on the screen");
    a.end(carrier);
    JsonNode g2 = a.status(carrier).get("checkpoints").get(1);
    assertEquals(carrier.resolve(CarrierFiles.screenshot(2)).toString(), g2.get("screenshot").asText());
    BufferedImage saved = ImageIO.read(carrier.resolve(CarrierFiles.screenshot(2)).toFile());
    assertEquals(List.of(240, 133), List.of(saved.getWidth(), saved.getHeight()), "a small picture");

    int portB = freePort();
    Path logB = root.resolve("deskB.log");
    Run onB = b.resume(carrier, logB, "--hostfwd", "tcp:127.0.0.1:" + portB + "-:80");
    // Taken by resume while the restored guest is still paused, against A's taken while paused.
    assertTrue(onB.err().contains("the screen as restored is the one saved with generation 2"), onB.err());
    ConsoleLog consoleB = new ConsoleLog(logB);
    ConsoleLog.Tick firstOnB = firstTick(consoleB);
    assertEquals(tickA.bootId(), firstOnB.bootId());
    Path b1 = root.resolve("deskB-1.png");
    Path b2 = root.resolve("deskB-2.png");
    b.run("screenshot", carrier.toString(), b1.toString()).expect(0);
    tickAbove(consoleB, firstOnB.n() + 2);
    b.run("screenshot", carrier.toString(), b2.toString()).expect(0);
    assertFalse(Arrays.equals(Files.readAllBytes(b1), Files.readAllBytes(b2)), "the ticks go on on screen");
    String ticksB = get(portB);
    assertTrue(ticksB.startsWith(ticksA) && ticksB.length() > ticksA.length(),
        "the same file, longer:\n" + ticksA + "---\n" + ticksB);
    b.end(carrier);
  }

  @Test
  void aWindowUnderXvfbShowsTheGuestsConsole() throws Exception {
    TestHost host = host(root, "window");
    Path carrier = SessionKit.initCarrier(host, root.resolve("window"), "--no-nic");
    Process xvfb =
        new ProcessBuilder("Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      String display = ":" + new String(readLine(xvfb), StandardCharsets.US_ASCII).strip();
      Path before = root.resolve("x-before.png");
      importRoot(display, before);
      assertEquals(0, lightGrayPixels(ImageIO.read(before.toFile())), "an empty X screen");
      Path log = root.resolve("window.log");
      Run resumed =
          host.run(
              Map.of("DISPLAY", display),
              "resume", carrier.toString(), "--detach", "--console", log.toString());
      resumed.expect(0);
      try {
        assertTrue(resumed.out().contains("screen: in a window (gtk)"), resumed.out());
        tickAbove(new ConsoleLog(log), 3);
        Path shown = root.resolve("x-window.png");
        importRoot(display, shown);
        int text = lightGrayPixels(ImageIO.read(shown.toFile()));
        assertTrue(text > 500, "QEMU's window shows the guest's text console: " + text + " pixels");
      } finally {
        host.run("end", carrier.toString(), "--discard").expect(0);
      }
    } finally {
      xvfb.destroy();
      xvfb.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anOldHeadlessCarrierResumesAsBefore() throws Exception {
    TestHost host = host(root, "old");
    Path carrier =
        SessionKit.initCarrier(host, root.resolve("old"), "--display-adapter", "none", "--no-nic");
    Path log1 = root.resolve("old1.log");
    host.resume(carrier, log1);
    ConsoleLog.Tick before = tickAbove(new ConsoleLog(log1), 1);
    host.end(carrier);
    // As a carryon before issue 15 and 17 wrote it: no QEMU and no screenshot per generation.
    Path manifest = carrier.resolve(CarrierFiles.MANIFEST);
    ObjectNode o = (ObjectNode) JSON.readTree(manifest.toFile());
    for (JsonNode g : o.get("generations")) {
      ((ObjectNode) g).remove(List.of("qemu", "screenshot"));
    }
    assertEquals("[]", o.get("vm").get("extraDevices").toString());
    Files.writeString(manifest, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));

    Path log2 = root.resolve("old2.log");
    Run resumed = host.resume(carrier, log2);
    assertTrue(resumed.out().contains("resumed generation 2"), resumed.out());
    assertFalse(resumed.out().contains("screen:"), resumed.out());
    ConsoleLog console = new ConsoleLog(log2);
    assertEquals(before.bootId(), firstTick(console).bootId());
    String refusal =
        host.run("screenshot", carrier.toString(), root.resolve("none.png").toString())
            .expect(ExitCodes.REFUSED)
            .errorLine();
    assertTrue(refusal.contains("has no display adapter"), refusal);
    assertTrue(console.lines().stream().noneMatch(l -> l.startsWith("CARRYON-NET")), "no NIC");
    host.end(carrier);
    JsonNode g3 = host.status(carrier).get("checkpoints").get(1);
    assertTrue(g3.get("screenshot").isNull(), g3.toString());
  }

  /** Pixels of the VGA text console's light gray (the guest's text: DAC 42 of 63) in {@code image}. */
  private static int lightGrayPixels(BufferedImage image) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if ((image.getRGB(x, y) & 0xffffff) == 0xa8a8a8) {
          n++;
        }
      }
    }
    return n;
  }

  private static String get(int port) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ticks.log"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return response.body();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The X screen {@code display} as a PNG (ImageMagick's import). */
  private static void importRoot(String display, Path png) throws Exception {
    SessionKit.tool(List.of("env", "DISPLAY=" + display, "import", "-window", "root", png.toString()), 0);
  }

  private static byte[] readLine(Process p) throws IOException {
    java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
    for (int c; (c = p.getInputStream().read()) != -1 && c != '\n'; ) {
      line.write(c);
    }
    return line.toByteArray();
  }
}
