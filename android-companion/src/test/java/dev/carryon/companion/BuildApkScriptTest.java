package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * build-apk.sh on a machine without Debian's Android tools: each step fails at once, naming the
 * missing tools and the packages that have them, before touching anything.
 */
class BuildApkScriptTest {
  @TempDir Path empty;

  @Test
  void aMissingToolIsNamedWithItsPackage() throws Exception {
    Result r = run("resources");
    assertEquals(1, r.exit, r.err);
    assertTrue(r.err.contains("missing aapt2 (from aapt)"), r.err);
    assertTrue(r.err.contains("scripts/ensure-packages.sh aapt zipalign apksigner"), r.err);

    r = run("apk");
    assertEquals(1, r.exit, r.err);
    assertTrue(
        r.err.contains("aapt (from aapt) zipalign (from zipalign) apksigner (from apksigner)"),
        r.err);
  }

  @Test
  void anUnknownStepIsRefused() throws Exception {
    Result r = run("everything");
    assertEquals(1, r.exit);
    assertTrue(r.err.contains("usage: build-apk.sh resources|classes|apk"), r.err);
  }

  private record Result(int exit, String err) {}

  /** Runs a step with a PATH holding none of the tools (bash is started by its full path). */
  private Result run(String step) throws IOException, InterruptedException {
    Path script = Paths.get("build-apk.sh").toAbsolutePath();
    ProcessBuilder pb = new ProcessBuilder("/bin/bash", script.toString(), step);
    Map<String, String> env = pb.environment();
    env.put("PATH", empty.toString());
    env.put("ANDROID_JAR", "/nonexistent/android-all.jar");
    env.put("R8_JAR", "/nonexistent/r8.jar");
    env.put("MIN_SDK", "26");
    env.put("VERSION_NAME", "test");
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), err);
  }
}
