package dev.carryon.carrier;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The carrier's manifest on storage. {@link #commit} is the one commit point of every change: the
 * new manifest is written whole to {@value CarrierFiles#MANIFEST_NEW} and forced, renamed over
 * {@value CarrierFiles#MANIFEST} in one step, and the folder is forced so the rename survives a
 * power cut. A cut before the rename leaves the old manifest; after it, the new one.
 */
final class ManifestStore {
  /** Reads of a manifest that changed under the reader before one is reported as broken. */
  private static final int READ_ATTEMPTS = 5;

  /** The carrier folder. */
  private final Path folder;

  ManifestStore(Path folder) {
    this.folder = folder;
  }

  /**
   * Reads and checks the committed manifest. A reader takes no lock: the rename makes each read see
   * one whole manifest, but a writer may commit a newer one and delete a file the older one names
   * between our reading it and checking its files; so a missing file is only reported when the
   * manifest did not change meanwhile.
   */
  Manifest read() throws IOException {
    Path file = folder.resolve(CarrierFiles.MANIFEST);
    for (int attempt = 1; ; attempt++) {
      byte[] bytes = ManifestCodec.readBytes(file);
      try {
        return ManifestCodec.read(bytes, file);
      } catch (CarrierFormatException e) {
        if (e.kind() != CarrierFormatException.Kind.MISSING_FILE
            || attempt == READ_ATTEMPTS
            || Arrays.equals(bytes, ManifestCodec.readBytes(file))) {
          throw e;
        }
      }
    }
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
