package dev.carryon.carrier;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A session end under way, from {@link Carrier#beginEnd} to {@link Carrier#commitGeneration}. The
 * new layer and state are written under the carrier's {@value CarrierFiles#TMP} folder (by the copy
 * helpers here, which hash in the same pass, or by anyone at {@link #layerFile} and {@link
 * #stateFile}); nothing is visible until the commit.
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

  SessionEnd(HostIdentity host, String sessionId, Generation resumed, long number, Path tmp) {
    this.host = host;
    this.sessionId = sessionId;
    this.resumed = resumed;
    this.number = number;
    this.layerFile = tmp.resolve("L" + number + ".qcow2");
    this.stateFile = tmp.resolve("S" + number + ".zst");
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
   * Where the new layer (a qcow2 overlay of the resumed chain's top) is to be written. A relative
   * backing file name in its header resolves the same here and once moved into {@value
   * CarrierFiles#LAYERS}/ (both folders sit one level down), e.g. {@code ../layers/L4.qcow2}.
   */
  public Path layerFile() {
    return layerFile;
  }

  /** Where the new zstd-compressed hibernation state is to be written. */
  public Path stateFile() {
    return stateFile;
  }

  /** Copies the new layer onto the carrier durably, hashing it in the same pass. */
  public void copyLayer(Path source, Progress progress) throws IOException {
    layer = Durable.copy(source, layerFile, progress);
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
