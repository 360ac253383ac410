package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A COW reset (see {@link PendingReset}): recorded as pending in one commit, then done and
 * committed as generation g+1; redone whole by the next write open after a cut.
 */
final class CarrierReset {
  /** Progress units of one image merged into the base. */
  private static final long SHARE = 1000;

  private CarrierReset() {}

  /** {@code done} of {@code total} as units of {@value #SHARE}. */
  private static long share(long done, long total) {
    return total <= 0 ? SHARE : (long) ((double) done / total * SHARE);
  }

  /** Records the reset of the current generation, does it and commits it; see {@link Carrier#reset}. */
  static ResetResult run(ManifestStore store, Progress progress) throws IOException {
    Manifest m = store.manifest();
    Generation g = m.current();
    List<Long> dropped = new ArrayList<>();
    for (Generation old : m.generations()) {
      if (old.number() != g.number()) {
        dropped.add(old.number());
      }
    }
    List<String> chain = g.chain();
    PendingReset op = new PendingReset(chain.get(0), chain.subList(1, chain.size()));
    store.commit(m.withGenerations(g.number(), List.of(g), m.files()).withReset(op));
    dropped.add(g.number());
    finish(store, progress);
    Recovery.deleteUnreferenced(store);
    return new ResetResult(store.manifest().current(), dropped, op.merge());
  }

  /** Redoes and commits a pending reset, if any. */
  static void finish(ManifestStore store) throws IOException {
    finish(store, Progress.NONE);
  }

  /**
   * {@link #finish(ManifestStore)}, telling {@code progress} how far the merges are: each image
   * merged into the base counts as an equal share of {@value #SHARE} units.
   */
  private static void finish(ManifestStore store, Progress progress) throws IOException {
    Manifest m = store.manifest();
    PendingReset r = m.reset();
    if (r == null) {
      return;
    }
    CarrierStorage storage = store.storage();
    long all = (long) r.merge().size() * SHARE;
    long before = 0;
    for (String name : r.merge()) {
      // Layers are committed and never written again: check them before copying them anywhere.
      // The COW may already be the empty one of a cut run, and its record is then stale.
      if (!name.equals(CarrierFiles.COW)) {
        LayerMerges.requireRecorded(store, name, r.into());
      }
      // Forces the base before it returns: the COW is replaced next.
      long from = before;
      CarrierImages.merge(
          storage,
          name,
          r.into(),
          List.of(),
          store.diskSecret(),
          (done, total) -> progress.advanced(from + share(done, total), all));
      before += SHARE;
      progress.advanced(before, all);
    }
    String tmpCow = CarrierFiles.TMP + "/" + CarrierFiles.COW;
    CarrierImages.createEmpty(
        storage,
        tmpCow,
        CarrierImages.virtualSize(storage, r.into()),
        r.into(),
        CarrierFiles.formatOf(r.into()),
        store.diskSecret());
    FileRecord cow = Durable.hash(storage, tmpCow);
    storage.rename(tmpCow, CarrierFiles.COW);
    storage.forceFolder("");
    Map<String, FileRecord> known = new HashMap<>(m.files());
    known.put(r.into(), Durable.hash(storage, r.into()));
    known.put(CarrierFiles.COW, cow);
    Generation g = m.current();
    long number = g.number() + 1;
    String state = g.state() == null ? null : CarrierFiles.state(number);
    if (state != null) {
      FileRecord record = m.files().get(g.state());
      sameState(storage, g.state(), state, record);
      known.put(state, record);
    }
    String screenshot = g.screenshot() == null ? null : CarrierFiles.screenshot(number);
    if (screenshot != null) {
      FileRecord record = m.files().get(g.screenshot());
      sameState(storage, g.screenshot(), screenshot, record);
      known.put(screenshot, record);
    }
    // The same disk content and RAM state under a new number: the next resume continues it.
    Generation made =
        new Generation(
            number,
            g.number(),
            store.now(),
            g.hostId(),
            g.sessionId(),
            List.of(r.into(), CarrierFiles.COW),
            state,
            g.note(),
            g.qemu(),
            screenshot);
    store.commit(
        m.withReset(null)
            .withGenerations(number, List.of(made), known)
            .withSyncsMoved(g.number(), number));
  }

  /**
   * Makes the state file (or screenshot) {@code target} hold the committed one {@code source}: a
   * hard link where the storage has them, else a durable copy through {@value CarrierFiles#TMP},
   * checked against {@code record}. Forced before the manifest naming it is committed.
   */
  private static void sameState(
      CarrierStorage storage, String source, String target, FileRecord record) throws IOException {
    // A leftover of a cut reset is not referenced yet: make it again rather than trust it.
    storage.delete(target);
    if (!storage.link(source, target)) {
      String tmp = CarrierFiles.TMP + "/" + target.substring(target.indexOf('/') + 1);
      FileRecord copy = Durable.copyWithin(storage, source, tmp);
      if (!copy.equals(record)) {
        throw new CarrierException(
            CarrierFiles.where(storage, source)
                + ": does not match the manifest ("
                + copy.size()
                + " bytes, SHA-256 "
                + copy.sha256()
                + "); refusing to carry it into "
                + target);
      }
      storage.rename(tmp, target);
    }
    storage.forceFolder(CarrierFiles.STATES);
  }
}
