package dev.carryon.launcher.session;

import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.SessionEnd;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The RAM state uploaded to the carrier while QEMU still saves it to this host: the upload reads
 * the host's file as it grows ({@link GrowingFile}). Only a head start: the host's file, forced and
 * recorded, stays what the end relies on, and an upload that failed is made again from it,
 * continuing after what the carrier holds.
 */
final class StateUpload {
  /** The host's file as it is written. */
  private final GrowingFile source;
  /** The copy onto the carrier. */
  private final Background<FileRecord> copy;
  /** When the upload began ({@link System#nanoTime}). */
  private final long started;

  private StateUpload(GrowingFile source, Background<FileRecord> copy, long started) {
    this.source = source;
    this.copy = copy;
    this.started = started;
  }

  /** Starts uploading {@code localState}, which the save has created, as {@code end}'s state. */
  static StateUpload start(SessionEnd end, Path localState) throws IOException {
    long started = System.nanoTime();
    GrowingFile source = GrowingFile.follow(localState);
    Background<FileRecord> copy =
        Background.start(
            "end-state-upload",
            () -> {
              try (source) {
                return end.copyState(source, Progress.NONE);
              }
            });
    return new StateUpload(source, copy, started);
  }

  /** The save is done: the host's file is whole and forced. */
  void whole() {
    source.whole();
  }

  /** The save failed: the upload stops, and is waited for. */
  void abandon(IOException why) {
    source.abandon(why);
    try {
      copy.await();
    } catch (IOException | RuntimeException e) {
      // Stopped as asked: nothing of it is committed, and a later end overwrites it.
    }
  }

  /**
   * Waits for the upload; its record. When it failed, the caller copies the host's file again
   * (which goes on after what of it the carrier holds).
   */
  FileRecord finish() throws IOException {
    return copy.await();
  }

  /** When the upload began ({@link System#nanoTime}). */
  long started() {
    return started;
  }
}
