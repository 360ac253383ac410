package dev.carryon.carrier;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A session end under way, from {@link Carrier#beginEnd} to {@link Carrier#commitGeneration}. The
 * new layer and state are written under the carrier's {@value CarrierFiles#TMP} folder (by the copy
 * helpers here, or by anyone at {@link #layerFile} and {@link #stateFile}); nothing is visible
 * until the commit.
 */
public final class SessionEnd {
  /** The host ending the session. */
  private final HostIdentity host;

  /** The session ending; it holds the lease. */
  private final String sessionId;

  /** The generation the session resumed, the parent of the new one. */
  private final Generation resumed;

  /** Number of the generation this end makes. */
  private final long number;

  /** Where the new layer is written. */
  private final Path layerFile;

  /** The resumed chain's top on the carrier, absolute: the new layer's backing image. */
  private final Path resumedTop;

  /** The backing file name the new layer's header must record, relative to its folder. */
  private final String backingName;

  /** Where the new state is written. */
  private final Path stateFile;

  /** Size and checksum of the layer, when copied in by {@link #copyLayer}. */
  private FileRecord layer;

  /** Size and checksum of the state, when copied in by {@link #copyState}. */
  private FileRecord state;

  /** The state stream, when written by {@link #openState}. */
  private DurableOutput stateOut;

  /** True when the guest was shut down and the new generation boots cold. */
  private boolean cold;

  /** The QEMU the session ran under, recorded with the new generation; null when unknown. */
  private QemuRun qemu;

  /** Where the new screenshot is written. */
  private final Path screenshotFile;

  /** Size and checksum of the screenshot, when copied in by {@link #copyScreenshot}. */
  private FileRecord screenshot;

  SessionEnd(HostIdentity host, String sessionId, Generation resumed, long number, Path carrier) {
    this.host = host;
    this.sessionId = sessionId;
    this.resumed = resumed;
    this.number = number;
    Path tmp = carrier.resolve(CarrierFiles.TMP);
    this.layerFile = tmp.resolve("L" + number + ".qcow2");
    this.stateFile = tmp.resolve("S" + number + ".zst");
    this.screenshotFile = tmp.resolve("S" + number + ".png");
    this.resumedTop = carrier.resolve(resumed.top());
    this.backingName = CarrierFiles.backingName(CarrierFiles.layer(number), resumed.top());
  }

  /** Number of the generation this end will commit. */
  public long generation() {
    return number;
  }

  /** The generation the session resumed; the new layer's backing image is its chain's top. */
  public Generation resumed() {
    return resumed;
  }

  /**
   * Where the new layer (a qcow2 overlay of the resumed chain's top) is to be written by those who
   * do not use {@link #copyLayer}. Its header must name {@link #layerBackingName()} as its backing
   * file, format qcow2; the commit refuses it otherwise.
   */
  public Path layerFile() {
    return layerFile;
  }

  /**
   * The backing file name the new layer records: the resumed chain's top relative to the layer's
   * folder, e.g. {@code ../cow.qcow2} or {@code ../layers/L4.qcow2}. It resolves the same in
   * {@value CarrierFiles#TMP}/ and, once moved, in {@value CarrierFiles#LAYERS}/ (both sit one
   * level down).
   */
  public String layerBackingName() {
    return backingName;
  }

  /** Where the new zstd-compressed hibernation state is to be written. */
  public Path stateFile() {
    return stateFile;
  }

  /**
   * Copies the host's local COW onto the carrier as the new layer, durably, with its header naming
   * {@link #layerBackingName()}; the local file is only read. Refuses a local COW that is not a
   * qcow2 overlay of the resumed chain's top on this carrier (its backing file must be that file,
   * usually by absolute path) or whose virtual size differs from the chain's.
   */
  public void copyLayer(Path localCow, Progress progress) throws IOException {
    layer = null;
    layer =
        BackingLinks.copyOverlay(
            localCow, resumedTop, layerFile, backingName, CarrierFiles.QCOW2, progress);
  }

  /** Copies the new state onto the carrier durably, hashing it in the same pass. */
  public void copyState(Path source, Progress progress) throws IOException {
    requireWarm();
    state = Durable.copy(source, stateFile, progress);
    stateOut = null;
  }

  /** A stream that writes the new state onto the carrier; hashed as written, forced on close. */
  public OutputStream openState() throws IOException {
    requireWarm();
    state = null;
    stateOut = new DurableOutput(stateFile);
    return stateOut;
  }

  /** Marks the new generation as a cold boot: the guest was shut down, no state was saved. */
  public void coldBoot() {
    if (state != null || stateOut != null) {
      throw new IllegalStateException("a state was already written to " + stateFile);
    }
    cold = true;
  }

  /**
   * Copies a small PNG of the screen as the state was saved onto the carrier durably, to be kept
   * with the new generation ({@link CarrierFiles#screenshot}).
   */
  public void copyScreenshot(Path png, Progress progress) throws IOException {
    screenshot = Durable.copy(png, screenshotFile, progress);
  }

  Path screenshotFile() {
    return screenshotFile;
  }

  /** Size and checksum of the copied screenshot, or null when none was copied. */
  FileRecord screenshotRecord() {
    return screenshot;
  }

  /** Records {@code run} as the QEMU the session ran under, with the new generation. */
  public void ranUnder(QemuRun run) {
    qemu = run;
  }

  QemuRun qemu() {
    return qemu;
  }

  HostIdentity host() {
    return host;
  }

  String sessionId() {
    return sessionId;
  }

  /** Size and checksum of the written layer; forced and hashed here if written by others. */
  FileRecord layerRecord() throws IOException {
    if (layer == null) {
      layer = forceAndHash(layerFile, "layer");
    }
    return layer;
  }

  /** Size and checksum of the written state, or null for a cold boot. */
  FileRecord stateRecord() throws IOException {
    if (cold) {
      return null;
    }
    if (stateOut != null) {
      return stateOut.record();
    }
    if (state == null) {
      state = forceAndHash(stateFile, "state");
    }
    return state;
  }

  private void requireWarm() {
    if (cold) {
      throw new IllegalStateException("this end was marked as a cold boot; it has no state");
    }
  }

  private static FileRecord forceAndHash(Path file, String what) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new CarrierException(file + ": the new " + what + " was not written");
    }
    // Written by someone else, maybe not forced: it must be on the medium before the commit.
    Durable.force(file);
    return Durable.hash(file, Progress.NONE);
  }
}
