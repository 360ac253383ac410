package dev.carryon.testdata;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion in tests, stdout and stderr merged. */
final class Exec {

  /** A finished command. */
  record Result(int exit, String output) {}

  private Exec() {}

  static Result run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      p.getOutputStream().close();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        throw new AssertionError(command + " did not finish; output:\n" + output);
      }
      return new Result(p.exitValue(), output);
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  /** Runs {@code command} and fails unless it exits with 0; returns its output. */
  static String check(String... command) throws IOException, InterruptedException {
    Result r = run(List.of(command));
    if (r.exit() != 0) {
      throw new AssertionError(
          String.join(" ", command) + " exited with " + r.exit() + ":\n" + r.output());
    }
    return r.output();
  }
}
