package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.StoredFile;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What every command that writes a carrier does first, under the carrier's write lock: finish or
 * roll back work a cut left behind. Files in {@value CarrierFiles#TMP} were never committed and are
 * deleted, but for what a cut session end of the lease holder had copied in (see {@link
 * #clearTmp}); a pending merge or reset is redone and committed; a carrier from before chunk lists
 * gets them (committed like any change, so a cut leaves it with or without them); layers, states
 * and chunk lists no committed manifest references are deleted.
 */
final class Recovery {
  private Recovery() {}

  /** Recovers the carrier of {@code store} from any cut. */
  static void recover(ManifestStore store) throws IOException {
    makeFolders(store.storage());
    clearTmp(store);
    LayerMerges.finish(store);
    CarrierReset.finish(store);
    if (store.manifest().chunks() == null) {
      // A carrier from before chunk lists: committing the same manifest adds them.
      store.commit(store.manifest());
    }
    deleteUnreferenced(store);
  }

  /** Creates the carrier's folders that are missing. */
  static void makeFolders(CarrierStorage storage) throws IOException {
    for (String folder : List.of(
        CarrierFiles.TMP, CarrierFiles.LAYERS, CarrierFiles.STATES, ChunkLists.FOLDER)) {
      storage.makeFolder(folder);
    }
  }

  /** Deletes everything in {@value CarrierFiles#TMP}: nothing there is committed. */
  static void clearTmp(CarrierStorage storage) throws IOException {
    for (StoredFile f : storage.list(CarrierFiles.TMP)) {
      storage.delete(f.name());
    }
  }

  /**
   * Deletes what is in {@value CarrierFiles#TMP} but, while a session holds the lease, the files
   * its end copies in ({@link SessionEnd}: the next generation's layer, state and screenshot):
   * only that session can commit them, and an end cut over a slow link continues the copies from
   * where they stop ({@link Durable#copyIn}, which trusts no byte of them it has not hashed).
   * Everything else there, and everything once the lease is free, is deleted.
   */
  static void clearTmp(ManifestStore store) throws IOException {
    Manifest m = store.manifest();
    Set<String> resumable = new HashSet<>();
    if (m.lease() != null) {
      long next = m.currentGeneration() + 1;
      resumable.addAll(SessionEnd.tmpNames(next));
    }
    CarrierStorage storage = store.storage();
    for (StoredFile f : storage.list(CarrierFiles.TMP)) {
      if (!resumable.contains(f.name())) {
        storage.delete(f.name());
      }
    }
  }

  /**
   * Deletes layers, states and chunk lists the committed manifest does not reference. Not forced:
   * a deleted file that comes back after a cut is unreferenced and deleted again. The three folders
   * are listed at once (over a link, one request).
   */
  static void deleteUnreferenced(ManifestStore store) throws IOException {
    CarrierStorage storage = store.storage();
    Set<String> kept = new HashSet<>(store.manifest().files().keySet());
    ChunkLists chunks = store.manifest().chunks();
    if (chunks != null) {
      chunks.byImage().values().forEach(list -> kept.add(ChunkLists.fileOf(list)));
    }
    for (List<StoredFile> listed :
        storage.lists(List.of(CarrierFiles.LAYERS, CarrierFiles.STATES, ChunkLists.FOLDER)).values()) {
      for (StoredFile f : listed) {
        if (!kept.contains(f.name())) {
          storage.delete(f.name());
        }
      }
    }
  }
}
