package dev.carryon.carrier;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The carrier's manifest on storage. {@link #commit} is the one commit point of every change: the
 * new manifest is written whole to {@value CarrierFiles#MANIFEST_NEW} and forced, renamed over
 * {@value CarrierFiles#MANIFEST} in one step, and the folder is forced so the rename survives a
 * power cut. A cut before the rename leaves the old manifest; after it, the new one.
 */
final class ManifestStore {
  /** The carrier folder. */
  private final Path folder;

  ManifestStore(Path folder) {
    this.folder = folder;
  }

  /** Reads and checks the committed manifest. */
  Manifest read() throws IOException {
    return ManifestCodec.read(folder.resolve(CarrierFiles.MANIFEST));
  }

  /** Makes {@code next} the committed manifest. Five write points. */
  void commit(Manifest next) throws IOException {
    byte[] json = ManifestCodec.encode(next);
    Path temp = folder.resolve(CarrierFiles.MANIFEST_NEW);
    Durable.write(temp, json);
    Durable.move(temp, folder.resolve(CarrierFiles.MANIFEST));
    Durable.syncFolder(folder);
  }
}
