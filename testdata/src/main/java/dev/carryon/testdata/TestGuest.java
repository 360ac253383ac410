package dev.carryon.testdata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tiny test guest: a Debian cloud kernel, a busybox initramfs whose /init prints a boot marker
 * and ticks on the serial console, and a 64 MiB ext4 disk. {@link #get()} builds it once per JVM
 * with {@code testdata/build-guest.sh} into a cache folder shared by every module's tests (the
 * script does nothing when the folder is up to date, and serialises concurrent builds).
 *
 * <p>Console protocol and kernel arguments: see {@code testdata/src/main/guest/init} and {@link
 * ConsoleLog}.
 */
public final class TestGuest {

  /** Machine type the guest is booted and restored with; pinned so migration state matches. */
  public static final String MACHINE = "pc-q35-7.2";
  /** CPU model: plain enough for TCG and any KVM host. */
  public static final String CPU = "qemu64";
  /** Guest RAM. */
  public static final int MEMORY_MIB = 256;

  /** Overrides the cache folder (e.g. to share one build between checkouts). */
  static final String CACHE_DIR_ENV = "CARRYON_TESTGUEST_DIR";
  /** The build script, relative to the repository root. */
  static final String SCRIPT = "testdata/build-guest.sh";
  /**
   * Kernel arguments of every boot; the key=value ones reach /init as environment variables.
   * no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can miss its ticks
   * and panic ("IO-APIC + timer doesn't work"), as seen in CI.
   */
  static final List<String> DEFAULT_APPEND =
      List.of("console=ttyS0", "panic=-1", "no_timer_check", "quiet", "tick=0.5");
  /** The script downloads a ~27 MB kernel package; beyond this something hangs. */
  private static final long BUILD_TIMEOUT_MINUTES = 15;

  private static TestGuest built;
  private static RuntimeException buildFailure;

  /** Folder holding vmlinuz, initramfs.img and disk.qcow2. */
  private final Path dir;

  TestGuest(Path dir) {
    this.dir = dir;
  }

  /**
   * Returns the guest, building it on the first call of this JVM.
   *
   * @throws IllegalStateException when the build fails (with its exit code and last output lines);
   *     later calls throw the same failure without building again
   */
  public static synchronized TestGuest get() {
    if (built == null && buildFailure == null) {
      try {
        Path dir = cacheDir();
        build(dir);
        built = new TestGuest(dir);
      } catch (RuntimeException e) {
        buildFailure = e;
      }
    }
    if (buildFailure != null) {
      throw buildFailure;
    }
    return built;
  }

  /** The cache folder holding the built guest. */
  public Path dir() {
    return dir;
  }

  /** The kernel, for {@code -kernel}. */
  public Path kernel() {
    return dir.resolve("vmlinuz");
  }

  /** The initramfs, for {@code -initrd}. */
  public Path initrd() {
    return dir.resolve("initramfs.img");
  }

  /**
   * The pristine qcow2 disk in the shared cache. Never write to it or use it as a writable drive:
   * take a {@link #copyDiskTo copy} (which may also serve as a read-only backing file).
   */
  public Path disk() {
    return dir.resolve("disk.qcow2");
  }

  /**
   * Copies the pristine disk into {@code targetDir} as {@code disk.qcow2}.
   *
   * @return the copy
   * @throws java.nio.file.FileAlreadyExistsException when {@code targetDir} already holds one
   */
  public Path copyDiskTo(Path targetDir) throws IOException {
    return Files.copy(disk(), targetDir.resolve("disk.qcow2"));
  }

  /**
   * The recommended kernel command line plus {@code extraArgs}; an extra {@code key=value}
   * replaces a default with the same key (e.g. {@code "tick=1"}).
   */
  public String append(String... extraArgs) {
    Map<String, String> args = new LinkedHashMap<>();
    for (String arg : DEFAULT_APPEND) {
      args.put(keyOf(arg), arg);
    }
    for (String arg : extraArgs) {
      args.remove(keyOf(arg));
      args.put(keyOf(arg), arg);
    }
    return String.join(" ", args.values());
  }

  /**
   * A QEMU command line that boots the guest under TCG from {@code disk} (qcow2, writable) with
   * its serial console written to {@code console}. Add {@code -qmp}, {@code -incoming} etc. as
   * needed; QEMU exits rather than rebooting when the guest panics.
   */
  public List<String> qemuCommand(Path disk, Path console, String... extraAppend) {
    return new ArrayList<>(
        List.of(
            "qemu-system-x86_64",
            "-M", MACHINE,
            "-accel", "tcg",
            "-cpu", CPU,
            "-m", MEMORY_MIB + "M",
            "-smp", "1",
            "-nodefaults",
            "-display", "none",
            "-no-reboot",
            "-serial", "file:" + console,
            "-kernel", kernel().toString(),
            "-initrd", initrd().toString(),
            "-append", append(extraAppend),
            "-blockdev", "driver=file,node-name=disk0-file,filename=" + escapeOption(disk),
            "-blockdev", "driver=qcow2,node-name=disk0,file=disk0-file",
            "-device", "virtio-blk-pci,drive=disk0"));
  }

  private static String keyOf(String arg) {
    int eq = arg.indexOf('=');
    return eq < 0 ? arg : arg.substring(0, eq);
  }

  /** QEMU option values escape a comma by doubling it. */
  private static String escapeOption(Path path) {
    return path.toString().replace(",", ",,");
  }

  private static Path cacheDir() {
    String env = System.getenv(CACHE_DIR_ENV);
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath();
    }
    return repoRoot().resolve("testdata/target/guest");
  }

  /** The build script of the checkout the tests run in. */
  static Path script() {
    return repoRoot().resolve(SCRIPT);
  }

  /** Walks up from the working directory (a module folder under Maven) to the checkout root. */
  static Path repoRoot() {
    Path cwd = Path.of("").toAbsolutePath();
    for (Path p = cwd; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve(SCRIPT))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "no " + SCRIPT + " in " + cwd + " or above it: run inside the carryon checkout");
  }

  private static void build(Path dir) {
    BuildScript.run(List.of("bash", script().toString(), dir.toString()), BUILD_TIMEOUT_MINUTES);
    TestGuest guest = new TestGuest(dir);
    for (Path f : List.of(guest.kernel(), guest.initrd(), guest.disk())) {
      if (!Files.isRegularFile(f)) {
        throw new IllegalStateException(SCRIPT + " succeeded but left no " + f);
      }
    }
  }
}
