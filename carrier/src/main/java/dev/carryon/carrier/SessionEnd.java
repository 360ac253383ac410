package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * A session end under way, from {@link Carrier#beginEnd} to {@link Carrier#commitGeneration}: the
 * session's layer and state are copied from the host onto the carrier's {@value CarrierFiles#TMP}
 * folder, forced and hashed; nothing is visible until the commit.
 */
public final class SessionEnd {
  /** The carrier's bytes. */
  private final CarrierStorage storage;

  /** The host ending the session. */
  private final HostIdentity host;

  /** The session ending; it holds the lease. */
  private final String sessionId;

  /** The generation the session resumed, the parent of the new one. */
  private final Generation resumed;

  /** Number of the generation this end makes. */
  private final long number;

  /** True when the carrier is encrypted: its layers must be LUKS-encrypted too. */
  private final boolean encrypted;

  /** Carrier name the new layer is written to until the commit. */
  private final String layerName;

  /** Carrier name the new state is written to until the commit. */
  private final String stateName;

  /** Carrier name the new screenshot is written to until the commit. */
  private final String screenshotName;

  /** Size and checksum of the layer, once copied in. */
  private FileRecord layer;

  /** True once the carrier's copy of the layer was read back and found right ({@link #checkLayer}). */
  private boolean layerChecked;

  /** Hash of the layer's chunk list once written ahead of the commit ({@link #listLayer}). */
  private String layerList;

  /** Size and checksum of the state, once copied in. */
  private FileRecord state;

  /** Size and checksum of the screenshot, once copied in; null when none was. */
  private FileRecord screenshot;

  /** True when the guest was shut down and the new generation boots cold. */
  private boolean cold;

  /** The QEMU the session ran under, recorded with the new generation; null when unknown. */
  private QemuRun qemu;

  SessionEnd(
      CarrierStorage storage,
      HostIdentity host,
      String sessionId,
      Generation resumed,
      long number,
      boolean encrypted) {
    this.storage = storage;
    this.encrypted = encrypted;
    this.host = host;
    this.sessionId = sessionId;
    this.resumed = resumed;
    this.number = number;
    List<String> tmp = tmpNames(number);
    this.layerName = tmp.get(0);
    this.stateName = tmp.get(1);
    this.screenshotName = tmp.get(2);
  }

  /**
   * The carrier names the end of generation {@code number} copies its layer, state and screenshot
   * to until the commit.
   */
  static List<String> tmpNames(long number) {
    return List.of(
        CarrierFiles.TMP + "/L" + number + ".qcow2",
        CarrierFiles.TMP + "/S" + number + ".zst",
        CarrierFiles.TMP + "/S" + number + ".png");
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
   * Copies the host's local COW onto the carrier as the new layer, durably, with its header naming
   * the resumed chain's top as the carrier sees it ({@link #layerBackingName}); the local file is
   * only read. Refuses a local COW that is not a qcow2 overlay of the chain's virtual size, and,
   * on a carrier that is a local folder, one whose backing file is not the resumed chain's top on
   * this carrier (on a remote carrier the caller made it over its local copy of that top).
   *
   * @return size and SHA-256 of the carrier's copy
   */
  public FileRecord copyLayer(Path localCow, Progress progress) throws IOException {
    layer = null;
    layerChecked = false;
    layerList = null;
    Path localTop = storage.localFile(resumed.top()).orElse(null);
    long size = CarrierImages.virtualSize(storage, resumed.top());
    layer =
        BackingLinks.copyOverlay(
            localCow,
            localTop,
            size,
            storage,
            layerName,
            layerBackingName(),
            CarrierFiles.QCOW2,
            progress);
    return layer;
  }

  /**
   * Reads the header of the carrier's copy of the layer back and refuses it unless it is what the
   * new generation will record: a qcow2 image of the chain's virtual size whose backing file is
   * {@link #layerBackingName}, LUKS-encrypted when the carrier is. The commit does this itself when
   * it was not done since the copy; a caller that has time while other files still go up (an end
   * over a link: about 14 requests) does it then, and the commit skips it (the copy is in this
   * end's {@value CarrierFiles#TMP} name, which nothing else writes while the end holds the lock).
   */
  public void checkLayer() throws IOException {
    if (layerChecked) {
      return;
    }
    String link =
        BackingLinks.problem(
            storage,
            layerName,
            CarrierImages.virtualSize(storage, resumed.top()),
            List.of(layerBackingName()),
            CarrierFiles.QCOW2,
            encrypted);
    if (link != null) {
      throw new CarrierException(
          CarrierFiles.where(storage, layerName) + ": refusing the new layer: " + link);
    }
    layerChecked = true;
  }

  /**
   * Writes the chunk list of the carrier's copy of the layer now, for a caller with time while
   * other files still go up (over a link, the list's hashing and writing take some eight requests);
   * the commit then names it instead of making it ({@link ChunkListStore#writeAhead}).
   */
  public void listLayer() throws IOException {
    layerList = ChunkListStore.writeAhead(storage, layerName, layerRecord());
  }

  /**
   * Copies the new (zstd-compressed) hibernation state onto the carrier durably, hashing it in the
   * same pass.
   *
   * @return size and SHA-256 of the carrier's copy
   */
  public FileRecord copyState(Path source, Progress progress) throws IOException {
    return recordState(() -> Durable.copyIn(storage, source, stateName, progress));
  }

  /**
   * Like {@link #copyState(Path, Progress)}, from a stream, from its first byte: the state as it
   * is being saved on the host, uploaded meanwhile. A copy that fails here can be made again from
   * the host's file with {@link #copyState(Path, Progress)}, which goes on after what of it the
   * carrier holds.
   */
  public FileRecord copyState(InputStream source, Progress progress) throws IOException {
    return recordState(() -> Durable.copyIn(storage, source, stateName, progress));
  }

  /**
   * Deletes what of the state was copied: the save it came from failed, so it will never be
   * committed, and the carrier is left as it was.
   */
  public void dropState() throws IOException {
    state = null;
    if (storage.size(stateName).isPresent()) {
      storage.delete(stateName);
    }
  }

  /** A copy of a file onto the carrier. */
  private interface Copy {
    FileRecord run() throws IOException;
  }

  /** Runs {@code copy} of the state and records what it copied; a failed copy records none. */
  private FileRecord recordState(Copy copy) throws IOException {
    if (cold) {
      throw new IllegalStateException("this end was marked as a cold boot; it has no state");
    }
    state = null;
    state = copy.run();
    return state;
  }

  /** Marks the new generation as a cold boot: the guest was shut down, no state was saved. */
  public void coldBoot() {
    if (state != null) {
      throw new IllegalStateException("a state was already written to " + stateName);
    }
    cold = true;
  }

  /**
   * Copies a small PNG of the screen as the state was saved onto the carrier durably, to be kept
   * with the new generation ({@link CarrierFiles#screenshot}).
   *
   * @return size and SHA-256 of the carrier's copy
   */
  public FileRecord copyScreenshot(Path png, Progress progress) throws IOException {
    screenshot = null;
    screenshot = Durable.copyIn(storage, png, screenshotName, progress);
    return screenshot;
  }

  /** Records {@code run} as the QEMU the session ran under, with the new generation. */
  public void ranUnder(QemuRun run) {
    qemu = run;
  }

  /**
   * The backing file name the new layer records: the resumed chain's top relative to the layer's
   * folder, e.g. {@code ../cow.qcow2} or {@code ../layers/L4.qcow2}. It resolves the same in
   * {@value CarrierFiles#TMP}/ and, once moved, in {@value CarrierFiles#LAYERS}/ (both sit one
   * level down).
   */
  String layerBackingName() {
    return CarrierFiles.backingName(CarrierFiles.layer(number), resumed.top());
  }

  /** Carrier name of the new layer until the commit. */
  String layerName() {
    return layerName;
  }

  /** Carrier name of the new state until the commit. */
  String stateName() {
    return stateName;
  }

  /** Carrier name of the new screenshot until the commit. */
  String screenshotName() {
    return screenshotName;
  }

  /** Hash of the layer's chunk list written by {@link #listLayer}, or null when none was. */
  String layerList() {
    return layerList;
  }

  /** Size and checksum of the copied screenshot, or null when none was copied. */
  FileRecord screenshotRecord() {
    return screenshot;
  }

  /** The QEMU the session ran under, or null when unknown. */
  QemuRun qemu() {
    return qemu;
  }

  CarrierStorage storage() {
    return storage;
  }

  HostIdentity host() {
    return host;
  }

  String sessionId() {
    return sessionId;
  }

  /** Size and checksum of the copied layer; refuses when none was copied. */
  FileRecord layerRecord() throws CarrierException {
    if (layer == null) {
      throw new CarrierException(
          CarrierFiles.where(storage, layerName) + ": the new layer was not written");
    }
    return layer;
  }

  /** Size and checksum of the copied state, or null for a cold boot; refuses when none was copied. */
  FileRecord stateRecord() throws CarrierException {
    if (cold) {
      return null;
    }
    if (state == null) {
      throw new CarrierException(
          CarrierFiles.where(storage, stateName) + ": the new state was not written");
    }
    return state;
  }
}
