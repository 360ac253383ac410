package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs qemu-img and qemu-io, the oracle of these tests; fails (never skips) when they are missing. */
final class Qemu {
  /** Exit code and combined output of one run. */
  record Result(int exit, String out) {}

  private Qemu() {}

  static Result run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("timed out: " + command);
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return fail("cannot run " + command.get(0) + " (is QEMU installed?): " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted: " + command);
    }
  }

  /** Runs and asserts exit 0; returns the output. */
  static String ok(String... command) {
    Result r = run(List.of(command));
    if (r.exit != 0) {
      fail(String.join(" ", command) + " exited " + r.exit + ":\n" + r.out);
    }
    return r.out;
  }

  static String img(String... args) {
    return ok(prepend("qemu-img", args));
  }

  /** qemu-io on one image with the given -c commands. */
  static String io(Path image, String... commands) {
    List<String> c = new ArrayList<>(List.of("qemu-io"));
    for (String command : commands) {
      c.add("-c");
      c.add(command);
    }
    c.add(image.toString());
    String out = ok(c.toArray(String[]::new));
    if (out.contains("Pattern verification failed") || out.contains("failed:")) {
      fail("qemu-io " + String.join(" ", commands) + " on " + image + ":\n" + out);
    }
    return out;
  }

  static Result check(Path image) {
    return run(List.of("qemu-img", "check", "--output=json", image.toString()));
  }

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }
}
