package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Picks KVM or TCG. {@code /dev/kvm} can exist and still hang a guest, so KVM is chosen only after a
 * real boot under it finishes in time: the firmware (SeaBIOS) boots a tiny disk whose boot sector
 * writes one byte to the serial port and then to an {@code isa-debug-exit} device, which ends QEMU
 * with a known exit code. (Code run straight from the reset vector is not enough: on one host it
 * ran under KVM while SeaBIOS and Linux hung.) {@code CARRYON_ACCEL=kvm|tcg} skips the probe.
 *
 * <p>A KVM that works at all but far too slowly hangs real guests too: one host's KVM booted the
 * probe in 4-10 s where TCG needed 0.2-0.4 s, and a Linux guest under it never printed a line. So
 * the probe first runs under TCG and KVM must then finish within {@link #KVM_SLOWDOWN} times TCG's
 * time (at least {@link #KVM_FLOOR}); a working KVM is about as fast as TCG here, both times being
 * mostly QEMU's start-up.
 *
 * <p>The probe can take a second or more where KVM hangs, so its result is kept in a
 * {@link AccelProbeCache cache file} and reused until the host reboots, QEMU changes or {@code
 * /dev/kvm} is made anew.
 */
public final class AccelProbe {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Environment variable that forces an accelerator. */
  public static final String FORCE_ENV = "CARRYON_ACCEL";
  /** Prefix of the reason of a choice taken from the cache. */
  static final String CACHED = "cached probe: ";
  /** How long a probe boot may take; it needs well under a second on a working host. */
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  /** How many times TCG's probe time KVM may take (see the class doc). */
  static final int KVM_SLOWDOWN = 3;
  /** KVM's least time limit, however fast TCG was: room for a slow QEMU start under load. */
  static final Duration KVM_FLOOR = Duration.ofSeconds(1);
  /** Byte the probe firmware writes to the serial port. */
  static final byte MARKER = 'K';
  /** Value the firmware writes to isa-debug-exit; QEMU then exits with (value << 1) | 1. */
  static final int EXIT_VALUE = 0x21;
  /** Port of the isa-debug-exit device. */
  private static final int EXIT_PORT = 0xf4;
  /** Size of the probe disk; SeaBIOS will not boot a disk of only a few sectors. */
  private static final int DISK_SIZE = 1024 * 1024;
  /** A boot sector's size and its signature's offset. */
  private static final int SECTOR = 512;
  private static final Path DEV_KVM = Path.of("/dev/kvm");

  /** This JVM's choice for {@link #choose()}, made once. */
  private static AccelChoice chosen;

  private AccelProbe() {}

  /**
   * The accelerator for this host, probed once per JVM and never cached in a file: for tests and
   * tools that have no host folder.
   *
   * @throws CarryonException with {@link ExitCodes#ENVIRONMENT} for a bad {@code CARRYON_ACCEL}, or
   *     when QEMU is not installed
   */
  public static synchronized AccelChoice choose() {
    if (chosen == null) {
      Path qemu = QemuTool.SYSTEM.locate();
      chosen = choose(System.getenv(FORCE_ENV), null, DEV_KVM, null, () -> probeKvm(qemu, TIMEOUT));
    }
    return chosen;
  }

  /**
   * The accelerator for this host; a KVM probe's result is read from and stored in {@code
   * cacheFile} (see {@link AccelProbeCache}), and a reused one says so in its reason ("cached
   * probe: ...").
   *
   * @param facts what the QEMU to run is (from {@link QemuFactsCache}), which the cache keys on
   *
   * @throws CarryonException with {@link ExitCodes#ENVIRONMENT} for a bad {@code CARRYON_ACCEL}, or
   *     when QEMU is not installed
   */
  public static AccelChoice choose(Path cacheFile, QemuFacts facts) {
    Path qemu = QemuTool.SYSTEM.locate();
    return choose(
        System.getenv(FORCE_ENV),
        facts,
        DEV_KVM,
        new AccelProbeCache(cacheFile, AccelProbeCache.BOOT_ID),
        () -> probeKvm(qemu, TIMEOUT));
  }

  /**
   * The choice: forced, or TCG without a usable {@code devKvm}, or {@code kvmProbe}'s answer, taken
   * from {@code cache} (null: none) when it holds one for the same {@link AccelProbeCache.Key}.
   */
  static AccelChoice choose(
      String forced,
      QemuFacts qemu,
      Path devKvm,
      AccelProbeCache cache,
      Supplier<AccelChoice> kvmProbe) {
    if (forced != null && !forced.isEmpty()) {
      for (Accel accel : Accel.values()) {
        if (accel.qemuName().equals(forced.toLowerCase(Locale.ROOT))) {
          return new AccelChoice(accel, "forced by " + FORCE_ENV + "=" + forced);
        }
      }
      throw new CarryonException(
          ExitCodes.ENVIRONMENT, FORCE_ENV + "=" + forced + " is not one of: kvm, tcg");
    }
    if (!Files.exists(devKvm)) {
      return new AccelChoice(Accel.TCG, "kvm unusable: no " + devKvm);
    }
    if (!Files.isReadable(devKvm) || !Files.isWritable(devKvm)) {
      return new AccelChoice(Accel.TCG, "kvm unusable: no read/write access to " + devKvm);
    }
    AccelProbeCache.Key key = null;
    if (cache != null) {
      try {
        key = cache.keyFor(qemu, devKvm);
        Optional<AccelChoice> cached = cache.lookup(key);
        if (cached.isPresent()) {
          return new AccelChoice(cached.get().accel(), CACHED + cached.get().reason());
        }
      } catch (IOException | UnsupportedOperationException e) {
        // No boot id or ctime (not Linux?): probe every time rather than trust a stale answer.
        key = null;
      }
    }
    AccelChoice probed = kvmProbe.get();
    if (key != null) {
      try {
        cache.store(key, probed);
      } catch (IOException e) {
        System.err.println("carryon: could not keep the KVM probe's result in " + cache + ": " + e);
      }
    }
    return probed;
  }

  /**
   * Boots the probe under TCG, then under KVM with a limit set by TCG's time (see the class doc):
   * KVM when it ran to its end in time, else TCG and why not.
   *
   * @param timeout limit of each boot; KVM's when the TCG boot failed
   */
  static AccelChoice probeKvm(Path qemu, Duration timeout) {
    long start = System.nanoTime();
    String tcgFailure = probe(qemu, Accel.TCG, timeout);
    Duration tcg = Duration.ofNanos(System.nanoTime() - start);
    Duration kvmTimeout = timeout;
    String tcgSaid = "";
    if (tcgFailure == null) {
      Duration relative = tcg.multipliedBy(KVM_SLOWDOWN);
      kvmTimeout = min(timeout, relative.compareTo(KVM_FLOOR) > 0 ? relative : KVM_FLOOR);
      tcgSaid = " (tcg booted it in " + seconds(tcg) + ")";
    }
    start = System.nanoTime();
    String failure = probe(qemu, Accel.KVM, kvmTimeout);
    if (failure != null) {
      return new AccelChoice(Accel.TCG, "kvm unusable: " + failure + tcgSaid);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    return new AccelChoice(Accel.KVM, "kvm probe booted in " + seconds(took) + tcgSaid);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * Boots the probe firmware under {@code accel}.
   *
   * @return null when it ran to its end in time, else why not
   */
  static String probe(Path qemu, Accel accel, Duration timeout) {
    Path dir = null;
    try {
      dir =
          OwnerOnly.createTempDirectory(QemuProcess.WORK_DIR_PREFIX + "probe-");
      Path disk = dir.resolve("probe.img");
      OwnerOnly.write(disk, bootDisk(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      Path serial = dir.resolve("serial.out");
      Path log = dir.resolve("qemu.log");
      ProcessBuilder builder =
          new ProcessBuilder(
              List.of(
                  qemu.toString(), "-nodefaults", "-no-user-config", "-display", "none",
                  "-sandbox", QemuCommandLine.SANDBOX,
                  "-machine", "q35", "-accel", accel.qemuName(), "-m", "16",
                  "-blockdev", JSON.createObjectNode().put("driver", "file").put("node-name", "probe")
                      .put("read-only", true).put("filename", disk.toString()).toString(),
                  "-device", "virtio-blk-pci,drive=probe",
                  "-chardev", "file,id=serial0,path=" + QemuCommandLine.escape(serial.toString()),
                  "-serial", "chardev:serial0",
                  "-device", "isa-debug-exit,iobase=0x" + Integer.toHexString(EXIT_PORT) + ",iosize=0x04"));
      builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      builder.redirectError(log.toFile());
      Process process = Spawner.start(builder);
      if (!Spawner.waitFor(process, timeout)) {
        process.destroyForcibly();
        Spawner.waitFor(process, Duration.ofDays(1));
        return accel.qemuName() + " probe did not finish within " + seconds(timeout);
      }
      int expected = (EXIT_VALUE << 1) | 1;
      byte[] out = Files.exists(serial) ? Files.readAllBytes(serial) : new byte[0];
      if (process.exitValue() != expected || out.length != 1 || out[0] != MARKER) {
        String err = Files.readString(log, StandardCharsets.UTF_8).strip().replace('\n', ' ');
        return accel.qemuName() + " probe exited with code " + process.exitValue()
            + " (expected " + expected + ")" + (err.isEmpty() ? "" : ": " + err);
      }
      return null;
    } catch (IOException e) {
      return accel.qemuName() + " probe could not run: " + e.getMessage();
    } finally {
      if (dir != null) {
        QemuProcess.deleteTree(dir);
      }
    }
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.2f s", d.toMillis() / 1000.0);
  }

  /**
   * The probe disk: a boot sector with this real-mode code, which SeaBIOS loads at 0:7C00 and
   * jumps to, then zeros:
   *
   * <pre>
   *   mov dx, 0x3f8   ; COM1 data port
   *   mov al, 'K'
   *   out dx, al      ; one byte to the serial console
   *   mov al, 0x21
   *   out 0xf4, al    ; isa-debug-exit: QEMU exits with (0x21 << 1) | 1 = 67
   *   hlt
   *   jmp $-1         ; back to hlt, should the exit not happen
   * </pre>
   */
  static byte[] bootDisk() {
    byte[] disk = new byte[DISK_SIZE];
    byte[] code = {
      (byte) 0xba, (byte) 0xf8, 0x03,
      (byte) 0xb0, MARKER,
      (byte) 0xee,
      (byte) 0xb0, EXIT_VALUE,
      (byte) 0xe6, (byte) EXIT_PORT,
      (byte) 0xf4,
      (byte) 0xeb, (byte) 0xfd,
    };
    System.arraycopy(code, 0, disk, 0, code.length);
    disk[SECTOR - 2] = 0x55;
    disk[SECTOR - 1] = (byte) 0xaa;
    return disk;
  }
}
