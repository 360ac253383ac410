package dev.carryon.launcher.session;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.keys.CarrierKey;
import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.Lease;
import dev.carryon.carrier.LocalCopies;
import dev.carryon.carrier.LocalFiles;
import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.FileProblem;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.QemuRun;
import dev.carryon.carrier.Verification;
import dev.carryon.carrier.VmConfig;
import dev.carryon.carrier.client.RequestLog;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.ReadAhead;
import dev.carryon.cow.Encryption;
import dev.carryon.cow.Qcow2Creator;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.cli.ProgressBar;
import dev.carryon.launcher.cli.ProgressInputStream;
import dev.carryon.launcher.host.Folders;
import dev.carryon.launcher.host.HostCache;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.host.SessionState;
import dev.carryon.launcher.phone.PhoneName;
import dev.carryon.launcher.qemu.AccelChoice;
import dev.carryon.launcher.qemu.AccelProbe;
import dev.carryon.launcher.qemu.DiskFormat;
import dev.carryon.launcher.qemu.DiskKey;
import dev.carryon.launcher.qemu.HostForward;
import dev.carryon.launcher.qemu.Hibernation;
import dev.carryon.launcher.qemu.QemuLaunch;
import dev.carryon.launcher.qemu.QemuDisplay;
import dev.carryon.launcher.qemu.QemuProcess;
import dev.carryon.launcher.qemu.QemuTool;
import dev.carryon.launcher.qemu.Screens;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * {@code resume}: validates a carrier, takes its lease, puts a local COW over the chosen
 * generation's disk chain and starts QEMU from it, restoring that generation's RAM state. The
 * carrier's images are read in place and never written while the session runs: the guest's writes
 * all land in the local COW.
 */
public final class ResumeSession {
  /** Most of the RAM state read ahead while QEMU starts: at 30 MB/s, some 4 s of it. */
  private static final long STATE_READ_AHEAD =
      Math.min(128L << 20, Runtime.getRuntime().maxMemory() / 4);

  /** Longest a restore of the RAM state may take. */
  private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(5);
  /** Name of the local COW in the session's work folder. */
  static final String LOCAL_COW = "local.qcow2";
  /** Name of the saved state in the session's work folder. */
  static final String LOCAL_STATE = "state.zst";
  /** The screen as restored (small, as generations keep it), in the session's work folder. */
  static final String RESTORED_SCREEN = "restored-screen.png";
  /** Name of the console log in a detached session's work folder. */
  static final String CONSOLE = "console.log";

  /**
   * What the user asked for.
   *
   * @param carrier the carrier's storage (the caller's to close)
   * @param checkpoint generation to resume, or null
   * @param checkpointAt resume the newest generation made at or before this time, or null
   * @param coldBoot boot the disk without the RAM state
   * @param detach leave QEMU running when this command returns
   * @param console file for the serial console, or null (stdout in the foreground, a file in the
   *     work folder when detached)
   * @param display a QEMU {@code -display} value, or null for the default ({@link
   *     QemuDisplay#byDefault})
   * @param machine boot under this machine type instead of the generation's (only without a RAM
   *     state: a cold boot), or null
   * @param cacheSize bytes the host cache (when the carrier is remote) and the chunk store each
   *     keep to, or -1 for {@link HostCache#defaultLimit}
   * @param carrierArgs the CLI arguments that open the same carrier (CARRIER, then options such as
   *     its token file), for the session keeper
   */
  public record Request(
      CarrierStorage carrier,
      Long checkpoint,
      Instant checkpointAt,
      boolean coldBoot,
      boolean detach,
      Path console,
      String display,
      String machine,
      List<HostForward> forwards,
      long cacheSize,
      List<String> carrierArgs) {
    /**
     * A request for a carrier its location alone names (a token, if any, from the environment),
     * whose remote files are cached within the default size.
     */
    public Request(
        CarrierStorage carrier,
        Long checkpoint,
        Instant checkpointAt,
        boolean coldBoot,
        boolean detach,
        Path console,
        String display,
        String machine,
        List<HostForward> forwards) {
      this(carrier, checkpoint, checkpointAt, coldBoot, detach, console, display, machine, forwards,
          -1, List.of(carrier.location()));
    }
  }

  /**
   * A session that runs.
   *
   * @param record the session as the host catalog has it
   * @param qemu the running QEMU
   * @param generation the generation resumed
   * @param restored true when the RAM state was restored, false for a cold boot
   * @param accel the accelerator chosen and why
   * @param ranUnder the QEMU it runs under, as the new generation will record it
   * @param console where the serial console goes, or null for stdout
   * @param screen how the VM's screen is shown, for people; null for a VM without a display adapter
   * @param elapsed from the command's start to the guest running
   */
  public record Started(
      SessionRecord record,
      QemuProcess qemu,
      Generation generation,
      boolean restored,
      AccelChoice accel,
      QemuRun ranUnder,
      Path console,
      String screen,
      Duration elapsed) {}

  private ResumeSession() {}

  /**
   * A resume's first move: its session's id, and the session keeper's JVM started (its start, some
   * 0.3 s, is what the guest waits for longest), before the host catalog and the carrier are
   * opened. Closed without being {@link #start taken}, it stops that keeper and removes its folder.
   */
  public static final class Head implements AutoCloseable {
    private final String sessionId;
    private final Path workDir;
    /** The keeper being started; null for a phone, whose chain is copied (Checked.copiedChain). */
    private Background<SessionKeeper.Launched> launching;

    private Head(HostHome home, String where, List<String> carrierArgs) {
      boolean phone = PhoneName.isPhone(where);
      SessionKeeper.Launched ready = phone ? null : StandbyKeeper.take(home);
      if (ready != null) {
        // The host agent's keeper, its JVM started and warm: its folder is this session's. It
        // opens the carrier while this resume checks it.
        workDir = ready.workDir();
        sessionId = workDir.getFileName().toString();
        launching = Background.done("keeper launch", ready);
        try {
          SessionKeeper.carrierAhead(ready, carrierArgs);
        } catch (IOException e) {
          // It opens the carrier once told what to serve instead.
        }
        return;
      }
      sessionId = UUID.randomUUID().toString();
      workDir = home.sessionDir(sessionId);
      // Forked on a thread of its own: the fork and exec of a JVM took 0.1-0.5 s under load.
      launching =
          phone ? null : Background.start("keeper launch", () -> SessionKeeper.launch(workDir, carrierArgs));
    }

    /** Starts the keeper for the carrier {@code where}, opened with the CLI's {@code carrierArgs}. */
    public static Head launch(HostHome home, String where, List<String> carrierArgs) {
      return new Head(home, where, carrierArgs);
    }

    /** The keeper being started, now the resume's to stop on failure; null for a phone. */
    private Background<SessionKeeper.Launched> take() {
      Background<SessionKeeper.Launched> taken = launching;
      launching = null;
      return taken;
    }

    @Override
    public void close() {
      Background<SessionKeeper.Launched> left = take();
      if (left != null) {
        cancelLaunched(left);
        deleteWorkDir(workDir);
      }
    }
  }

  /**
   * Resumes {@code request.carrier()} on {@code host}; see the class doc. {@code onStep} is told
   * each step as it completes, so that an interrupted resume has shown how far it got.
   */
  public static Started start(Host host, Request request, PrintWriter log, Consumer<Step> onStep)
      throws IOException {
    try (Head head = Head.launch(host.home, request.carrier().location(), request.carrierArgs())) {
      return start(host, request, head, log, onStep);
    }
  }

  /** As {@link #start(Host, Request, PrintWriter, Consumer)}, with the keeper {@code head} began. */
  public static Started start(
      Host host, Request request, Head head, PrintWriter log, Consumer<Step> onStep)
      throws IOException {
    long start = System.nanoTime();
    String sessionId = head.sessionId;
    // Asked first: QEMU's facts (cached, or asked of QEMU) need no carrier.
    HostCapabilities.Asking capabilities =
        HostCapabilities.ask(QemuTool.SYSTEM.locate(), host.home.qemuFactsCache());
    RemoteCopies copies = new RemoteCopies(host, request.cacheSize(), sessionId, log);
    Checked checked;
    List<SessionKeeper.Served> served;
    BlockSession.LocalCowBase cowBase;
    byte[] diskSecret;
    long t;
    String where = request.carrier().location();
    Path workDir = head.workDir;
    Background<SessionKeeper.Launched> launching = head.take();
    SessionKeeper.Launched keeper = null;
    ReadAhead stateAhead = null;
    StateSource stateSource = null;
    Background<AccelChoice> accelChoice;
    try {
      // The keeper's JVM starts while the carrier is checked: it serves nothing until told what,
      // after the lease.
      checked = check(host, request, capabilities, copies, log);
      stateAhead = checked.stateAhead;
      // Chosen while the lease is taken (from the probe's cache, or a probe of up to a second).
      Checked facts = checked;
      accelChoice =
          Background.start(
              "accelerator choice",
              () -> AccelProbe.choose(host.home.accelProbeCache(), facts.host.qemu()));
      onStep.accept(
          Step.since(
              "check generation " + checked.generation.number() + " and this host's QEMU", start,
              copies.fetched() > 0 ? copies.fetched() : -1));
      t = System.nanoTime();
      // Opened for write from the check's read: that read refused a bad manifest already, so the
      // manifest is read only once more, under the lock (over a link each read is a round of
      // requests).
      try (Carrier carrier = checked.read.forWrite("carryon resume")) {
        // Chosen again under the lock: the generation must still be there after recovery.
        carrier.checkpoint(checked.generation.number());
        // Read under the lock: opening for write adds lists an older carrier lacked.
        served = BlockSession.chainOf(carrier, checked.generation);
        cowBase =
            checked.copiedChain == null
                ? BlockSession.LocalCowBase.of(carrier, checked.generation, BlockSession.chunkStore(host))
                : null;
        carrier.takeLease(host.identity, sessionId);
        diskSecret = carrier.diskSecret().orElse(null);
        if (stateAhead != null) {
          String state = checked.generation.state();
          FileRecord recorded = carrier.manifest().files().get(state);
          if (!recorded.equals(checked.stateAheadOf)) {
            // Changed under the lock (a recovery): what was fetched is not this state.
            closeQuietly(stateAhead);
            stateAhead = ReadAhead.start(carrier.openFile(state), state, STATE_READ_AHEAD);
          }
          // All the restore needs of the carrier, so that it need not open it again.
          stateSource =
              new StateSource(
                  recorded, carrier.describe(state), carrier.key(CarrierKey.STATE_CIPHER).orElse(null));
        }
      } catch (dev.carryon.carrier.LeaseException e) {
        throw new CarryonException(ExitCodes.REFUSED, leaseMessage(where, e.holder()), e);
      }
      keeper = launching == null ? null : launching.get();
    } catch (IOException | RuntimeException e) {
      // No session was recorded: the cached files it pinned are free again.
      copies.release();
      if (launching != null) {
        cancelLaunched(launching);
      }
      deleteWorkDir(workDir);
      closeQuietly(stateAhead);
      capabilities.settle();
      throw e;
    }
    SessionRecord record =
        new SessionRecord(
            sessionId,
            checked.carrierId,
            where,
            workDir,
            SessionState.STARTING,
            checked.generation.number(),
            0,
            null,
            null,
            Instant.now(),
            null);
    host.catalog.saveSession(record);
    onStep.accept(Step.since("take the lease", t, -1));
    QemuProcess qemu = null;
    // The restored screen's comparison with the saved one, made while the guest already runs.
    Background<Void> screenCompared = null;
    try {
      t = System.nanoTime();
      OwnerOnly.createDirectories(workDir);
      Path localCow = workDir.resolve(LOCAL_COW);
      // On an encrypted carrier the local COW is encrypted with the carrier's disk secret: the
      // layer end copies onto the carrier from it is ciphertext too.
      Encryption encryption = diskSecret == null ? null : Encryption.luks(diskSecret);
      List<QemuLaunch.Image> chain;
      if (checked.copiedChain != null) {
        Qcow2Creator.create(
            localCow, -1, checked.copiedChain.top().toString(), "qcow2",
            Qcow2Creator.DEFAULT_CLUSTER_SIZE, 3, encryption);
        chain = BlockSession.fileChain(checked.generation, checked.copiedChain);
      } else {
        cowBase.create(localCow, encryption);
        Path chunks = BlockSession.chunkStore(host);
        // --cache-size bounds the chunk store as it bounds the host cache.
        long chunksLimit =
            request.cacheSize() > 0 ? request.cacheSize() : HostCache.defaultLimit(chunks);
        SessionKeeper.serve(keeper, request.carrierArgs(), chunks, chunksLimit, served);
        if (diskSecret != null) {
          // Encrypted: the keeper keeps the key for end (a plain carrier costs no request here).
          SessionKeeper.lendKey(workDir, request.carrier(), log);
        }
        chain = BlockSession.nbdChain(SessionKeeper.socket(workDir), checked.generation);
      }
      DiskKey diskKey = diskSecret == null ? null : DiskKey.write(workDir, diskSecret);
      AccelChoice accel = accelChoice.get();
      log.println(accel.describe());
      QemuRun run =
          new QemuRun(
              checked.host.qemu().describe(), accel.accel().qemuName(), checked.vm.machineType());
      SessionQemu.write(workDir, run);
      Path console =
          request.console() != null
              ? request.console().toAbsolutePath()
              : request.detach() ? workDir.resolve(CONSOLE) : null;
      boolean restore = !checked.generation.coldBoot() && !request.coldBoot();
      String display =
          request.display() != null ? request.display() : QemuDisplay.byDefault(System.getenv());
      QemuLaunch launch =
          QemuLaunch.of(checked.vm, workDir)
              .withBootFiles(checked.files.kernel(), checked.files.initrd())
              .withDisk(localCow, DiskFormat.QCOW2, chain)
              .withAccel(accel.accel())
              .withConsole(console)
              .withDisplay(hasScreen(checked.vm) ? display : "none")
              .withForwards(request.forwards())
              .withIncoming(restore)
              .withDiskKey(diskKey);
      RequestLog.mark("resume: QEMU starts");
      qemu = request.detach() ? QemuProcess.startDetached(launch) : QemuProcess.start(launch);
      RequestLog.mark("resume: QEMU answers");
      record = record.withQemu(qemu.pid(), qemu.workDir(), accel.accel().qemuName());
      host.catalog.saveSession(record);
      onStep.accept(Step.since("make the local COW and start QEMU", t, -1));
      t = System.nanoTime();
      if (restore) {
        QemuProcess restored = qemu;
        String stateName = checked.generation.state();
        // The bar follows the stored (compressed) bytes: their total is known up front.
        ProgressBar bar = ProgressBar.on(log, "restoring");
        try {
          FileRecord recorded = stateSource.recorded();
          AtomicReference<Path> dumped = new AtomicReference<>();
          // Hashed as it streams into QEMU, checked before the guest continues.
          CheckedState checkedState = new CheckedState(stateAhead, recorded, stateSource.where());
          try (ReadableByteChannel state =
              StateFile.open(
                  new ProgressInputStream(checkedState, recorded.size(), bar::update),
                  stateSource.where(),
                  stateSource.key())) {
            Hibernation.restore(
                qemu, state, RESTORE_TIMEOUT, () -> {
                  RequestLog.mark("resume: state restored");
                  bar.finish();
                  checkedState.requireRecorded();
                  dumped.set(dumpScreen(restored, checked, workDir, log));
                  RequestLog.mark("resume: screen taken");
                });
            screenCompared = compareScreen(dumped.get(), checked, workDir, log);
          } catch (IOException e) {
            // QEMU (or zstd, or the sealed chunks) refused the state: a state that is not the
            // recorded one is bad input, named as such, not a host that cannot restore it.
            requireRecordedState(request.carrier(), stateName, e);
            throw e;
          }
        } catch (IOException e) {
          bar.finish();
          throw new CarryonException(
              ExitCodes.REFUSED,
              "this host's QEMU could not restore generation " + checked.generation.number()
                  + " of " + where + ": " + e.getMessage()
                  + "; nothing was changed on the carrier. Resume with --cold-boot to boot its disk"
                  + " without the saved RAM state (guest writes not yet flushed are lost)",
              e);
        }
        RequestLog.mark("resume: guest runs");
        onStep.accept(Step.since("restore the RAM state " + stateName, t, -1));
      } else {
        qemu.qmp().execute("cont", Duration.ofSeconds(10));
        onStep.accept(Step.since("start the guest (cold boot)", t, -1));
      }
      if (checked.copiedChain == null) {
        SessionKeeper.guestRuns(workDir);
      }
      record = record.withState(SessionState.RUNNING, Instant.now());
      host.catalog.saveSession(record);
      host.catalog.recordCarrier(checked.carrierId, where, checked.generation.number());
      awaitQuietly(screenCompared);
      return new Started(
          record,
          qemu,
          checked.generation,
          restore,
          accel,
          run,
          console,
          screen(checked.vm, display, where),
          Duration.ofNanos(System.nanoTime() - start));
    } catch (IOException | RuntimeException e) {
      awaitQuietly(screenCompared); // before its work folder goes
      if (keeper != null) {
        SessionKeeper.cancel(keeper);
      }
      closeQuietly(stateAhead);
      abandon(host, request.carrier(), record, qemu);
      throw e;
    }
  }

  /** Stops the keeper {@code launching} started, if it started; waits for its launch to end. */
  private static void cancelLaunched(Background<SessionKeeper.Launched> launching) {
    try {
      SessionKeeper.cancel(launching.get());
    } catch (IOException | RuntimeException e) {
      // It never started: nothing to stop.
    }
  }

  /** Stops a read-ahead of the state that will not be read. */
  private static void closeQuietly(ReadAhead stateAhead) {
    if (stateAhead != null) {
      try {
        stateAhead.close();
      } catch (IOException e) {
        // Nothing was written: an unread fetch that fails to close loses nothing.
      }
    }
  }

  /**
   * After a failed restore: refuses with exit 3, naming the state file, when the state on the
   * carrier is not the one the manifest records (read whole again: this is the failure path only).
   */
  private static void requireRecordedState(
      CarrierStorage storage, String stateName, IOException failure) throws IOException {
    try (Carrier carrier = Carrier.open(storage)) {
      Verification v = carrier.verifyFiles(List.of(stateName), Progress.NONE);
      if (!v.passed()) {
        throw new CarryonException(
            ExitCodes.BAD_INPUT,
            CheckedState.mismatch(
                carrier.describe(stateName),
                v.problems().get(0).problem() + " (QEMU's restore said: " + failure.getMessage()
                    + ")"),
            failure);
      }
    }
  }

  /**
   * What the restore reads of the carrier, taken while the lease's open has it.
   *
   * @param recorded the state's record in the manifest
   * @param where the state's carrier file, for messages
   * @param key an encrypted carrier's state key, or null
   */
  private record StateSource(FileRecord recorded, String where, byte[] key) {}

  /** True when the VM has a display adapter. */
  private static boolean hasScreen(VmConfig vm) {
    return vm.devices().stream().anyMatch(d -> d.type().isDisplay());
  }

  /** How the screen is shown, for people; null without a display adapter. */
  private static String screen(VmConfig vm, String display, String carrier) {
    if (!hasScreen(vm)) {
      return null;
    }
    int vnc = QemuDisplay.vncPort(display);
    return switch (display) {
      case "gtk", "sdl" -> "in a window (" + display + ")";
      case "none" -> "not shown (no desktop session here); to see it: resume with --display"
          + " vnc=127.0.0.1:0 and a VNC viewer on 127.0.0.1:5900, or carryon screenshot " + carrier
          + " FILE.png";
      default -> "VNC server on " + display.substring(4) + " (port " + vnc + ")";
    };
  }

  /**
   * The restored guest's screen, dumped while it is still paused (the picture to compare is the
   * state's, not what the guest draws after); null when there is nothing to compare it with, or it
   * could not be taken (a warning).
   */
  private static Path dumpScreen(QemuProcess qemu, Checked checked, Path workDir, PrintWriter log) {
    if (checked.files.screenshot() == null || !hasScreen(checked.vm)) {
      return null;
    }
    Path full = workDir.resolve("restored-screen-full.ppm");
    try {
      Screens.dumpForShrink(qemu, full);
      return full;
    } catch (IOException e) {
      log.println("warning: could not compare the restored screen: " + e.getMessage());
      return null;
    }
  }

  /**
   * Compares the screen {@link #dumpScreen} took, shrunk as {@code end} shrank the one it saved,
   * with that one: they match unless the state and the picture do not belong together. On a
   * thread of its own: reading and shrinking the pictures took 6-33 ms, the first time in a JVM
   * more, that the guest need not wait for. It says which it found, or warns; null when there is
   * nothing to compare.
   */
  private static Background<Void> compareScreen(
      Path dumped, Checked checked, Path workDir, PrintWriter log) {
    if (dumped == null) {
      return null;
    }
    return Background.start(
        "restored screen",
        () -> {
          try {
            Path small = workDir.resolve(RESTORED_SCREEN);
            Screens.shrink(dumped, small);
            Files.delete(dumped);
            log.println(
                Screens.sameScreen(small, checked.files.screenshot())
                    ? "the screen as restored is the one saved with generation "
                        + checked.generation.number()
                    : "warning: the screen as restored differs from the one saved with generation "
                        + checked.generation.number());
          } catch (IOException e) {
            log.println("warning: could not compare the restored screen: " + e.getMessage());
          }
          return null;
        });
  }

  /** Waits for {@code screenCompared} (null: nothing to wait for); it reports its own failures. */
  private static void awaitQuietly(Background<Void> screenCompared) {
    if (screenCompared == null) {
      return;
    }
    try {
      screenCompared.await();
    } catch (IOException | RuntimeException e) {
      // It catches what it can report; anything else was only a comparison.
    }
  }

  /** Removes the work folder of a resume that failed before it recorded a session. */
  private static void deleteWorkDir(Path workDir) {
    try {
      Folders.deleteTree(workDir);
    } catch (IOException e) {
      System.err.println("carryon: could not clean up " + workDir + ": " + e.getMessage());
    }
  }

  /** Undoes a start that failed: QEMU stopped, lease released, work files gone. */
  private static void abandon(
      Host host, CarrierStorage storage, SessionRecord record, QemuProcess qemu) {
    if (qemu != null) {
      qemu.close();
    }
    SessionKeeper.stop(record.workDir());
    try (Carrier carrier = Carrier.openForWrite(storage, "carryon resume")) {
      carrier.releaseLease(host.identity, record.sessionId());
    } catch (IOException | RuntimeException e) {
      System.err.println(
          "carryon: could not release the lease on " + record.carrier() + ": " + e.getMessage()
              + " (carryon lease break frees it)");
    }
    try {
      Folders.deleteTree(record.workDir());
      host.catalog.saveSession(record.withState(SessionState.ABORTED, Instant.now()));
    } catch (IOException e) {
      System.err.println("carryon: could not clean up " + record.workDir() + ": " + e.getMessage());
    }
  }

  /**
   * What validation found out, before anything was written.
   *
   * @param files the local files the generation boots from beside its chain
   * @param copiedChain for a phone's carrier, the chain copied whole into the host cache (each
   *     copy checked as it arrives), which QEMU reads, so that the phone may go once resume
   *     returns; null for every other carrier, whose chain the session keeper serves
   * @param host what this host's QEMU offers
   * @param stateAhead the generation's RAM state, being fetched since its manifest was read (over a
   *     link the state is most of a resume: it arrives while the check, the lease, the keeper and
   *     QEMU's start run; it is checked as it streams into QEMU), or null without a restore
   * @param stateAheadOf the state's record as the fetch began, or null
   * @param read the carrier as the check read it (open to read: it holds nothing)
   */
  private record Checked(
      String carrierId,
      Generation generation,
      VmConfig vm,
      BootFiles files,
      LocalFiles copiedChain,
      HostCapabilities host,
      ReadAhead stateAhead,
      FileRecord stateAheadOf,
      Carrier read) {}

  /**
   * The files QEMU reads as files on this host: a folder carrier's own, else copies in the host
   * cache (each checked as it is copied).
   *
   * @param kernel the kernel for direct boot, or null
   * @param initrd the initrd for direct boot, or null
   * @param screenshot the screen as the generation's state was saved, or null
   */
  private record BootFiles(Path kernel, Path initrd, Path screenshot) {
    /**
     * The kernel and initrd are always this host's cached copies, whatever the carrier: a copy is
     * checked against the manifest's SHA-256 as it is stored and keyed by that hash, so a resume
     * on a host that holds them hashes nothing (a 14 MB kernel cost 0.16-0.29 s of an unwarmed
     * JVM's SHA-256 on every resume); the carrier's own files are read only on a host that lacks
     * them. The screenshot, new with every generation, is read where it is.
     */
    static BootFiles of(Carrier carrier, Generation g, CarrierStorage storage, LocalCopies copies)
        throws IOException {
      VmConfig vm = carrier.manifest().vm();
      return new BootFiles(
          cachedCopy(carrier, vm.kernel(), storage, copies),
          cachedCopy(carrier, vm.initrd(), storage, copies),
          g.screenshot() == null
              ? null
              : carrier.localFile(g.screenshot(), copies, Progress.NONE));
    }

    private static Path cachedCopy(
        Carrier carrier, String name, CarrierStorage storage, LocalCopies copies)
        throws IOException {
      if (name == null) {
        return null;
      }
      // A folder's own file must be one of its own before it is read (a link leading out, to a
      // device or a FIFO, is refused by name); a remote carrier's is the cached copy already.
      Path found = carrier.localFile(name, copies, Progress.NONE);
      return storage.localFile(name).isEmpty()
          ? found
          : copies.copyOf(storage, name, carrier.manifest().files().get(name), Progress.NONE);
    }
  }

  /** Every check that needs no write: refuses with a clear message when one fails. */
  private static Checked check(
      Host host,
      Request request,
      HostCapabilities.Asking capabilities,
      LocalCopies copies,
      PrintWriter log)
      throws IOException {
    // Not closed: open to read, a carrier holds nothing, and the lease's open goes on from it. An
    // encrypted carrier's KDF runs on while it is checked; the lease's open waits for its key.
    EarlyStateFetch early = EarlyStateFetch.of(request, STATE_READ_AHEAD);
    try {
      Carrier carrier = Carrier.openUnproven(request.carrier(), early::start);
      try {
        return checkUnproven(host, request, capabilities, copies, log, carrier, early);
      } catch (IOException | RuntimeException e) {
        early.close(); // not held while the proof below waits for the KDF
        // Refused for what the manifest says: if it was altered, or the passphrase is wrong, that
        // is the refusal to name.
        try {
          carrier.prove();
        } catch (IOException | RuntimeException unproven) {
          unproven.addSuppressed(e);
          throw unproven;
        }
        throw e;
      }
    } finally {
      early.close(); // a fetch the check did not take
    }
  }

  /** {@link #check} of {@code carrier}, its manifest not proved unaltered yet. */
  private static Checked checkUnproven(
      Host host,
      Request request,
      HostCapabilities.Asking capabilities,
      LocalCopies copies,
      PrintWriter log,
      Carrier carrier,
      EarlyStateFetch early)
      throws IOException {
    String where = request.carrier().location();
    String carrierId = carrier.manifest().carrierId().toString();
    Optional<SessionRecord> mine = host.catalog.openSession(carrierId);
    if (mine.isPresent()) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          "this host already has session " + mine.get().sessionId() + " ("
              + mine.get().state().name().toLowerCase() + ") on " + where
              + "; end it with: carryon end " + where);
    }
    Lease lease = carrier.manifest().lease();
    if (lease != null) {
      throw new CarryonException(ExitCodes.REFUSED, leaseMessage(where, lease));
    }
    Generation g = choose(carrier, request);
    // Read only, into memory: a resume refused below leaves nothing behind of it.
    FileRecord stateRecord =
        g.coldBoot() || request.coldBoot() ? null : carrier.manifest().files().get(g.state());
    ReadAhead stateAhead = stateRecord == null ? null : early.take(g.state(), stateRecord);
    early.close();
    if (stateRecord != null && stateAhead == null) {
      stateAhead = ReadAhead.start(carrier.openFile(g.state()), g.state(), STATE_READ_AHEAD);
    }
    try {
      return checkFetching(host, request, capabilities, copies, log, carrier, g, stateAhead, stateRecord);
    } catch (IOException | RuntimeException e) {
      closeQuietly(stateAhead);
      throw e;
    }
  }

  /** The rest of {@link #check}, while the state of generation {@code g} is fetched. */
  private static Checked checkFetching(
      Host host,
      Request request,
      HostCapabilities.Asking capabilities,
      LocalCopies copies,
      PrintWriter log,
      Carrier carrier,
      Generation g,
      ReadAhead stateAhead,
      FileRecord stateRecord)
      throws IOException {
    String where = request.carrier().location();
    String carrierId = carrier.manifest().carrierId().toString();
    ProgressBar bar = ProgressBar.on(log, "checking");
    Verification v = upFrontCheck(carrier, request.carrier(), g, bar::update);
    bar.finish();
    if (!v.passed()) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT,
          where + " failed validation and was not resumed: "
              + v.problems().stream().map(Object::toString).collect(Collectors.joining("; ")));
    }
    HostCapabilities here = capabilities.answer();
    VmConfig vm = machineFor(carrier.manifest().vmOf(g), g, request, here);
    // A cold boot needs the machine type, CPU model and RAM as much as a restore does, so
    // --cold-boot alone is no way around these.
    List<String> problems = here.problems(vm);
    if (!problems.isEmpty()) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          "generation " + g.number() + " of " + where
              + " cannot run on this host: " + String.join("; ", problems)
              + ". Nothing was changed; " + wayOut(carrier.manifest().vmOf(g), g, where, request, here));
    }
    here.warnings(vm).forEach(w -> log.println("warning: " + w));
    if (!vm.cpuPortable() && g.qemu() != null && !g.qemu().version().equals(here.qemu().describe())) {
      log.println(
          "warning: CPU model " + vm.cpuModel() + " is not portable: generation " + g.number()
              + " was saved by QEMU " + g.qemu().version() + " and this host's QEMU "
              + here.qemu().describe() + " may give the guest other CPU features; a guest that"
              + " uses one that is gone can fault");
    }
    if (!g.coldBoot() && request.coldBoot()) {
      log.println(
          "warning: cold boot of generation " + g.number() + ": its saved RAM state is not used;"
              + " guest writes that were still in the guest's memory are lost");
    }
    LocalFiles copiedChain =
        PhoneName.isPhone(where) ? carrier.localFiles(g, copies, Progress.NONE) : null;
    return new Checked(
        carrierId, g, vm, BootFiles.of(carrier, g, request.carrier(), copies), copiedChain, here,
        stateAhead, stateRecord, carrier);
  }

  /**
   * What resume checks of generation {@code g} before anything is written: the chunk lists of its
   * chain (their hashes the manifest's, well formed, sized like their images) and a folder's
   * screenshot, never the chain's bytes, which the block server checks chunk by chunk as QEMU
   * reads them; the kernel, the initrd and a remote carrier's screenshot are checked as they are
   * copied into this host's cache ({@link BootFiles}) right after, still before anything is
   * written (checked here too, the screenshot would cost a round of requests over a link); the RAM
   * state is checked as it streams into QEMU. A carrier without lists yet (made by an older
   * carryon: the lease's write-open adds them), or with a merge or reset pending (whose images'
   * bytes are in flux until that open finishes it), is checked whole but for its state, as before
   * lists.
   */
  private static Verification upFrontCheck(
      Carrier carrier, CarrierStorage storage, Generation g, Progress progress)
      throws IOException {
    if (carrier.manifest().chunks() == null || carrier.manifest().unfinishedWork() != null) {
      return carrier.verifyForResume(g, progress);
    }
    List<FileProblem> problems = new ArrayList<>();
    for (String image : g.chain()) {
      try {
        carrier.chunkList(image);
      } catch (CarrierException e) {
        problems.add(new FileProblem(image, e.getMessage()));
      }
    }
    if (g.screenshot() == null || storage.localFile(g.screenshot()).isEmpty()) {
      return new Verification(problems, List.of());
    }
    Verification files = carrier.verifyFiles(List.of(g.screenshot()), progress);
    problems.addAll(files.problems());
    return new Verification(problems, files.warnings());
  }

  /** The generation's VM, under the machine type the user chose if any (only for a cold boot). */
  private static VmConfig machineFor(
      VmConfig vm, Generation g, Request request, HostCapabilities here) {
    if (request.machine() == null) {
      return vm;
    }
    if (!g.coldBoot() && !request.coldBoot()) {
      throw new CarryonException(
          ExitCodes.USAGE,
          "--machine needs --cold-boot: generation " + g.number() + "'s RAM state was saved under "
              + vm.machineType() + " and restores only into that machine type");
    }
    try {
      return vm.withMachineType(here.pinnedMachine(request.machine()));
    } catch (IllegalArgumentException e) {
      throw new CarryonException(ExitCodes.REFUSED, "--machine: " + e.getMessage(), e);
    }
  }

  /** What the user can do when this host cannot run the generation's VM. */
  private static String wayOut(
      VmConfig vm, Generation g, String where, Request request, HostCapabilities here) {
    String other = here.defaultMachine().value();
    if (request.machine() != null || here.qemu().machines().containsKey(vm.machineType())) {
      return "resume it on a host whose QEMU offers its configuration";
    }
    String command = "carryon resume " + where + " --cold-boot --machine " + other;
    return g.coldBoot()
        ? "generation " + g.number() + " has no RAM state: its disk last ran under "
            + vm.machineType() + ", and can boot under a machine type this host has: " + command
        : "its RAM state was saved under " + vm.machineType() + " and restores only into that"
            + " type; resume it on a host that has it, or boot its disk without the RAM state"
            + " (guest writes not yet flushed in it are lost) under a type this host has: "
            + command;
  }

  private static Generation choose(Carrier carrier, Request request) throws IOException {
    if (request.checkpoint() != null) {
      return carrier.checkpoint(request.checkpoint());
    }
    if (request.checkpointAt() != null) {
      return carrier.checkpointAt(request.checkpointAt());
    }
    return carrier.current();
  }

  static String leaseMessage(String carrier, Lease lease) {
    return carrier + " is in use: leased by " + lease.describe()
        + ". If that session is gone for good, free it with: carryon lease break " + carrier;
  }
}
