package dev.carryon.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Debian package on this machine: {@code apt-get install ./carryon_*.deb} installs {@code
 * carryon} on PATH with its man pages, completion and units; the README's demo runs with the
 * installed {@code carryon} (not the checkout's); {@code apt-get remove} takes it all away again.
 * Needs root. Runs after the package phase (failsafe), and takes a lock so that two checkouts on
 * one machine never install at the same time.
 */
class PackageIT {
  private static final Path DEB_DIR = Path.of(System.getProperty("carryon.deb.dir"));
  private static final Path CHECKOUT = Path.of(System.getProperty("carryon.checkout")).normalize();
  private static final Path LOCK = Path.of("/tmp/carryon-package-test.lock");
  private static final List<String> APT = List.of("apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q");

  private record Result(int exit, String out) {}

  private static Result run(Map<String, String> env, Path dir, long minutes, List<String> command)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("carryon-package-it", ".out");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().putAll(env);
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = pb.start();
      if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(command + " did not finish within " + minutes + " min:\n" + Files.readString(out));
      }
      return new Result(p.exitValue(), Files.readString(out));
    } finally {
      Files.delete(out);
    }
  }

  private static String check(List<String> command) throws IOException, InterruptedException {
    Result r = run(Map.of(), CHECKOUT, 10, command);
    assertEquals(0, r.exit(), () -> String.join(" ", command) + ":\n" + r.out());
    return r.out();
  }

  private static List<String> plus(List<String> a, String... b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(List.of(b));
    return all;
  }

  @Test
  void installRunTheDemoAndRemove() throws Exception {
    assertEquals("root", System.getProperty("user.name"), "installing the package needs root");
    Path deb = theDeb();
    try (FileChannel ch = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      try {
        check(plus(APT, "install", "--no-install-recommends", deb.toString()));
        assertEquals("/usr/bin/carryon\n", check(List.of("bash", "-c", "command -v carryon")));
        assertTrue(check(List.of("carryon", "--version")).startsWith("carryon 0.1"), "version");
        // -Xshare:on: the JVM fails rather than start without the archive postinst made.
        Result shared = run(Map.of("CARRYON_JAVA_OPTS", "-Xshare:on"), CHECKOUT, 1, List.of("carryon", "status", "--help"));
        assertEquals(0, shared.exit(), shared.out());
        assertTrue(check(List.of("carryon", "watch", "--help")).contains("--auto-resume"));
        Result man = run(Map.of("MANWIDTH", "100"), CHECKOUT, 1, List.of("man", "-P", "cat", "carryon-resume"));
        assertEquals(0, man.exit(), man.out());
        assertTrue(man.out().contains("--checkpoint") && man.out().contains("CARRYON-RESUME(1)"), man.out());
        assertTrue(
            check(List.of("bash", "-c", "source /usr/share/bash-completion/completions/carryon;"
                + " COMP_WORDS=(carryon wat); COMP_CWORD=1; _complete_carryon; echo ${COMPREPLY[*]}"))
                .contains("watch"));
        for (String unit : List.of("carryon-watch.service", "carryon-sync@.service", "carryon-sync@.timer")) {
          check(List.of("systemd-analyze", "verify", "/usr/lib/systemd/user/" + unit));
        }
        assertTrue(Files.isRegularFile(Path.of("/usr/lib/udev/rules.d/70-carryon-adb.rules")));

        Result demo = run(Map.of("CARRYON", "/usr/bin/carryon"), CHECKOUT, 10, List.of("./demo.sh"));
        assertEquals(0, demo.exit(), demo.out());
        assertTrue(demo.out().contains("demo: running /usr/bin/carryon"), demo.out());
        assertTrue(demo.out().contains("the session continued"), demo.out());
      } finally {
        check(plus(APT, "remove", "--purge", "carryon"));
      }
      assertFalse(Files.exists(Path.of("/usr/bin/carryon")));
      assertFalse(Files.exists(Path.of("/var/cache/carryon")));
      assertFalse(Files.exists(Path.of("/usr/share/man/man1/carryon-resume.1.gz")));
    }
  }

  private static Path theDeb() throws IOException {
    List<Path> debs = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(DEB_DIR, "carryon_*_amd64.deb")) {
      s.forEach(debs::add);
    }
    assertEquals(1, debs.size(), "one package expected in " + DEB_DIR + ": " + debs);
    return debs.get(0);
  }
}
