package dev.carryon.carrier.protocol;

import dev.carryon.cow.DiskImage;
import dev.carryon.cow.ImageChain;
import dev.carryon.cow.Merger;
import dev.carryon.cow.ProgressListener;
import dev.carryon.carrier.storage.FolderStorage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code merge} operation: one carrier image merged into another where the bytes are. The
 * client names the target's backing chain; the server checks that every header on it names
 * exactly that chain, inside the carrier, before any image is read past its header: a crafted
 * header naming a file outside the carrier (whose bytes a merge would copy into a carrier image the
 * client can read) is refused.
 */
final class ServerMerge {
  private ServerMerge() {}

  static void merge(FolderStorage storage, String top, String into, List<String> below)
      throws IOException {
    List<String> chain = new ArrayList<>();
    chain.add(into);
    chain.addAll(below);
    for (int i = 0; i < chain.size(); i++) {
      Path image = file(storage, chain.get(i));
      String backing;
      try (DiskImage d = DiskImage.open(image, false)) {
        backing = d.backingFileName();
      }
      Path expected = i + 1 < chain.size() ? file(storage, chain.get(i + 1)) : null;
      Path named = backing == null ? null : ImageChain.resolveBacking(image, backing);
      if (expected == null ? named != null : !expected.equals(named)) {
        throw new ProtocolException(
            ErrorCode.BAD_REQUEST,
            chain.get(i) + ": its header names backing file '" + backing + "', not "
                + (expected == null ? "none" : "'" + chain.get(i + 1) + "'")
                + " as the merge request says; nothing was merged");
      }
    }
    Merger.merge(file(storage, top), file(storage, into), ProgressListener.NONE);
    storage.force(into);
  }

  private static Path file(FolderStorage storage, String name) {
    return storage.localFile(name).get();
  }
}
