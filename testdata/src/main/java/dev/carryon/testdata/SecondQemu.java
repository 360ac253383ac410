package dev.carryon.testdata;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A second QEMU version for the tests: Debian 13's QEMU 10.0, from a debootstrapped root that
 * {@code testdata/build-qemu-root.sh} builds once (about a minute) and caches under {@code
 * testdata/target/qemu-root} (or {@code $CARRYON_QEMU_ROOT_DIR}), run through the script's wrapper
 * on this host's paths: {@code /tmp}, {@code /dev}, {@code /proc}, {@code /sys}, the checkout and
 * the test guest's folder. Point {@code CARRYON_QEMU} at {@link #wrapper()} to make a carryon
 * command use it. Needs root, as the test command runs here and in CI.
 */
public final class SecondQemu {
  /** The Debian suite whose QEMU this is. */
  public static final String SUITE = "trixie";
  /** Overrides the cache folder (e.g. to share one build between checkouts). */
  static final String CACHE_DIR_ENV = "CARRYON_QEMU_ROOT_DIR";
  /** The build script, relative to the repository root. */
  static final String SCRIPT = "testdata/build-qemu-root.sh";
  /** Debootstrap downloads ~100 MB; beyond this something hangs. */
  private static final long BUILD_TIMEOUT_MINUTES = 15;

  private static SecondQemu built;
  private static RuntimeException buildFailure;

  /** The build's folder: {@code root/} and the wrapper. */
  private final Path dir;

  private SecondQemu(Path dir) {
    this.dir = dir;
  }

  /**
   * Returns the second QEMU, building it on the first call of this JVM.
   *
   * @throws IllegalStateException when the build fails; later calls throw the same failure
   */
  public static synchronized SecondQemu get() {
    if (built == null && buildFailure == null) {
      try {
        Path root = TestGuest.repoRoot();
        String env = System.getenv(CACHE_DIR_ENV);
        Path dir =
            env == null || env.isBlank()
                ? root.resolve("testdata/target/qemu-root")
                : Path.of(env).toAbsolutePath();
        List<String> command = new ArrayList<>(List.of("bash", root.resolve(SCRIPT).toString()));
        command.add(dir.toString());
        command.add(root.toString());
        Path guest = TestGuest.get().dir();
        if (!guest.startsWith(root)) {
          command.add(guest.toString());
        }
        BuildScript.run(command, BUILD_TIMEOUT_MINUTES);
        SecondQemu qemu = new SecondQemu(dir);
        if (!Files.isExecutable(qemu.wrapper())) {
          throw new IllegalStateException(SCRIPT + " succeeded but left no " + qemu.wrapper());
        }
        built = qemu;
      } catch (RuntimeException e) {
        buildFailure = e;
      }
    }
    if (buildFailure != null) {
      throw buildFailure;
    }
    return built;
  }

  /** The wrapper that runs this QEMU as {@code qemu-system-x86_64}. */
  public Path wrapper() {
    return dir.resolve("qemu-system-x86_64");
  }

  /** The QEMU binary inside the root, as this host sees it (what the wrapper really runs). */
  public Path executable() {
    return dir.resolve("root/usr/bin/qemu-system-x86_64");
  }
}
