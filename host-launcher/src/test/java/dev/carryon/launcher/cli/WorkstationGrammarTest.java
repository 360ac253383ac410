package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The options of issue 15 refuse bad values with exit 2 before anything is read or written. */
class WorkstationGrammarTest {
  @TempDir Path dir;

  private void refused(String expected, String... args) {
    CliRun run = CliRun.of(args);
    assertEquals(ExitCodes.USAGE, run.exitCode(), run.toString());
    assertTrue(run.err().contains(expected), run.err());
  }

  @Test
  void resumeChecksTheDisplayAndTheForwards() {
    String carrier = dir.resolve("none").toString();
    refused("--display (curses) must be gtk, sdl, none or vnc=ADDR:N", "resume", carrier, "--display", "curses");
    refused("--hostfwd (tcp::8080-:80,guestfwd=tcp:10.0.2.100:1-cmd:sh) must be PROTOCOL:",
        "resume", carrier, "--hostfwd", "tcp::8080-:80,guestfwd=tcp:10.0.2.100:1-cmd:sh");
  }

  @Test
  void initChecksTheDevices() {
    String carrier = dir.resolve("c").toString();
    String image = dir.resolve("d.raw").toString();
    refused("--display-adapter (cirrus-vga) must be virtio-vga, VGA or none",
        "init", carrier, "--image", image, "--display-adapter", "cirrus-vga");
    refused("--input (ps2) must be usb, virtio or none", "init", carrier, "--image", image, "--input", "ps2");
    refused("--mac: mac (01:00:5e:00:00:01) must be a unicast MAC address",
        "init", carrier, "--image", image, "--mac", "01:00:5e:00:00:01");
    refused("--mac needs a network card", "init", carrier, "--image", image, "--no-nic", "--mac", "52:54:00:00:00:01");
  }
}
