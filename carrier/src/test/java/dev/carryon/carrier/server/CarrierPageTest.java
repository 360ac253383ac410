package dev.carryon.carrier.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The carrier's page as a browser shows it: Debian's headless Chromium, given the token once as
 * {@code ?token=}, follows the redirect that swaps it for a cookie and renders the page from that
 * cookie alone.
 */
class CarrierPageTest {
  @TempDir Path dir;

  @Test
  void aBrowserSeesGenerationsLeaseSizesAndTheGrowthChart() throws Exception {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    Files.writeString(carrier.resolve("carryon.json"), manifest());
    try (ServedFolder served = ServedFolder.single(carrier)) {
      String dom = chromium("--dump-dom", served.uri() + "?token=" + served.token());
      assertTrue(dom.contains("Generation <b id=\"generation\">3</b>"), dom);
      assertTrue(dom.contains("held by host desk-b (h-b), session s4"), dom);
      assertTrue(dom.contains("<svg id=\"growth\""), dom);
      // One bar per kept generation, each the COW plus the layers of its chain.
      assertTrue(dom.contains("data-generation=\"1\" data-bytes=\"196608\""), dom);
      assertTrue(dom.contains("data-generation=\"2\" data-bytes=\"1245184\""), dom);
      assertTrue(dom.contains("data-generation=\"3\" data-bytes=\"3342336\""), dom);
      assertTrue(dom.contains("cold boot"), dom);
      assertTrue(dom.contains("92.0 MiB"), dom);
      // The manifest's text is shown, never run: a crafted note or host stays text.
      assertFalse(dom.contains("<script>"), dom);
      assertTrue(dom.contains("&lt;script&gt;"), dom);
    }
  }

  @Test
  void withoutTheTokenThePageIsRefused() throws Exception {
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    Files.writeString(carrier.resolve("carryon.json"), manifest());
    try (ServedFolder served = ServedFolder.single(carrier)) {
      HttpClient http = HttpClient.newHttpClient();
      for (URI page :
          List.of(served.uri(), served.uri().resolve("?token=" + "f".repeat(64)))) {
        HttpResponse<String> r =
            http.send(HttpRequest.newBuilder(page).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"unauthorized\""), r.body());
        assertFalse(r.headers().firstValue("Set-Cookie").isPresent());
      }
      HttpResponse<String> ok =
          http.send(
              HttpRequest.newBuilder(served.uri().resolve("?token=" + served.token())).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(303, ok.statusCode());
      String cookie = ok.headers().firstValue("Set-Cookie").orElseThrow();
      assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
    }
  }

  /**
   * A carrier of three generations: the COW (192 KiB), layer L2 (1 MiB) and L3 (2 MiB), states of
   * 90 and 92 MiB, the first generation a cold boot, and a host name that tries to be a script.
   */
  private static String manifest() {
    String sha = "0".repeat(64);
    return "{\"format\":\"carryon-carrier\",\"version\":1,"
        + "\"carrierId\":\"5b0c5c1e-8a43-4c67-9f7e-0d6a3f1b2c3d\",\"created\":\"2026-11-30T09:00:00Z\","
        + "\"currentGeneration\":3,\"keep\":3,"
        + "\"vm\":{\"machineType\":\"pc-q35-7.2\",\"cpuModel\":\"qemu64\",\"memoryMiB\":256,\"cpus\":1,"
        + "\"diskInterface\":\"virtio-blk\",\"kernel\":null,\"initrd\":null,\"append\":null,"
        + "\"extraDevices\":[]},"
        + "\"generations\":["
        + gen(1, null, "[\"base.qcow2\",\"cow.qcow2\"]", null, "h-a")
        + "," + gen(2, 1L, "[\"base.qcow2\",\"cow.qcow2\",\"layers/L2.qcow2\"]", "states/S2.zst", "<script>alert(1)</script>")
        + "," + gen(3, 2L, "[\"base.qcow2\",\"cow.qcow2\",\"layers/L2.qcow2\",\"layers/L3.qcow2\"]",
            "states/S3.zst", "h-b")
        + "],"
        + "\"files\":{"
        + file("base.qcow2", 67108864, sha) + "," + file("cow.qcow2", 196608, sha) + ","
        + file("layers/L2.qcow2", 1048576, sha) + "," + file("layers/L3.qcow2", 2097152, sha) + ","
        + file("states/S2.zst", 94371840, sha) + "," + file("states/S3.zst", 96468992, sha)
        + "},"
        + "\"lease\":{\"hostId\":\"h-b\",\"hostName\":\"desk-b\",\"sessionId\":\"s4\","
        + "\"since\":\"2026-11-30T09:30:00Z\"},"
        + "\"pending\":null,\"syncs\":[],\"reset\":null}";
  }

  private static String gen(long n, Long parent, String chain, String state, String host) {
    return "{\"number\":" + n + ",\"parent\":" + parent + ",\"created\":\"2026-11-30T09:0" + n
        + ":00Z\",\"hostId\":\"" + host + "\",\"sessionId\":\"s" + n + "\",\"chain\":" + chain
        + ",\"state\":" + (state == null ? "null" : "\"" + state + "\"") + ",\"note\":\"\"}";
  }

  private static String file(String name, long size, String sha) {
    return "\"" + name + "\":{\"size\":" + size + ",\"sha256\":\"" + sha + "\"}";
  }

  /** Runs Debian's headless Chromium with a fresh profile; its standard output. */
  private String chromium(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("chromium");
    command.add("--headless");
    command.add("--no-sandbox");
    command.add("--disable-gpu");
    command.add("--no-first-run");
    command.add("--disable-background-networking");
    command.add("--disable-component-update");
    command.add("--disable-sync");
    command.add("--user-data-dir=" + Files.createTempDirectory(dir, "profile"));
    command.addAll(List.of(args));
    Path out = dir.resolve("chromium.out");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(dir.resolve("chromium.err").toFile())
            .start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within 120 s");
    }
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("chromium.err")));
    return Files.readString(out, StandardCharsets.UTF_8);
  }
}
