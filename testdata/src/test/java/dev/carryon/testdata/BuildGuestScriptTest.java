package dev.carryon.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** build-guest.sh as a command: its cache and its errors. */
class BuildGuestScriptTest {

  private static Exec.Result script(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", TestGuest.script().toString()));
    command.addAll(List.of(args));
    return Exec.run(command);
  }

  @Test
  void aSecondRunWithTheSameInputsDoesNothing() throws Exception {
    TestGuest guest = TestGuest.get();
    List<Path> outputs = List.of(guest.kernel(), guest.initrd(), guest.disk());
    List<FileTime> before = mtimes(outputs);

    Exec.Result again = script(guest.dir().toString());

    assertEquals(0, again.exit(), again.output());
    assertTrue(again.output().contains(guest.dir() + " is up to date (linux-image-"),
        again.output());
    assertEquals(before, mtimes(outputs));
    String stamp = Files.readString(guest.dir().resolve("stamp"));
    assertTrue(stamp.contains("\nkernel linux-image-") && stamp.contains("\nbusybox-static "),
        stamp);
  }

  @Test
  void withoutOutdirItPrintsUsage() throws Exception {
    Exec.Result r = script();

    assertEquals(2, r.exit());
    assertTrue(r.output().startsWith("usage: build-guest.sh OUTDIR"), r.output());
  }

  @Test
  void anOutdirThatIsAFileIsRefused(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("plain-file"), "x");

    Exec.Result r = script(file.toString());

    assertEquals(1, r.exit(), r.output());
    assertTrue(r.output().contains("build-guest: error: cannot create OUTDIR " + file),
        r.output());
  }

  private static List<FileTime> mtimes(List<Path> files) throws Exception {
    List<FileTime> times = new ArrayList<>();
    for (Path f : files) {
      times.add(Files.getLastModifiedTime(f));
    }
    return times;
  }
}
