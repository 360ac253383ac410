package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the merges a committed manifest records as pending ({@link PendingMerge}): the lowest shared
 * layer is folded into the COW, the layer above it is rebased onto the COW, and a manifest without
 * the merged layer is committed, until none is pending. Redone whole after a cut: both steps are
 * idempotent.
 */
final class LayerMerges {
  private LayerMerges() {}

  /** Redoes and commits pending merges until none is left; returns the layers merged. */
  static List<String> finish(ManifestStore store) throws IOException {
    CarrierStorage storage = store.storage();
    List<String> merged = new ArrayList<>();
    while (store.manifest().pending() != null) {
      Manifest m = store.manifest();
      PendingMerge p = m.pending();
      // The layer is committed and never written again: check it before copying it anywhere.
      requireRecorded(store, p.layer(), p.into());
      // Forces the COW before it returns: the manifest will drop the layer, so its clusters must
      // be in the COW on the medium first.
      CarrierImages.merge(storage, p.layer(), p.into(), List.of(m.current().chain().get(0)),
          store.diskSecret());
      FileRecord rebased = null;
      if (p.rebase() != null) {
        // Now the layer above may read through the COW directly: the COW holds every cluster of
        // the merged layer. Until the manifest below is committed the merged layer still exists,
        // so a cut leaves a header naming either image, and both read the same; a redone merge
        // only writes into the COW what it already holds. The rebase forces the header.
        CarrierImages.rebase(
            storage, p.rebase(), CarrierFiles.backingName(p.rebase(), p.into()), CarrierFiles.QCOW2);
        rebased = Durable.hash(storage, p.rebase());
      }
      store.commit(Generations.afterMerge(m, Durable.hash(storage, p.into()), rebased));
      merged.add(p.layer());
    }
    return merged;
  }

  /** Refuses to copy committed file {@code name} into {@code into} unless it matches its record. */
  static void requireRecorded(ManifestStore store, String name, String into) throws IOException {
    FileRecord actual = Durable.hash(store.storage(), name);
    if (!actual.equals(store.manifest().files().get(name))) {
      throw new CarrierException(
          CarrierFiles.where(store.storage(), name)
              + ": does not match the manifest ("
              + actual.size()
              + " bytes, SHA-256 "
              + actual.sha256()
              + "); refusing to merge it into "
              + into);
    }
  }
}
