package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The commit of a session end (steps 2 to 5 of the protocol in {@link dev.carryon.carrier the
 * package doc}): the layer and state written to {@value CarrierFiles#TMP} move into place, the
 * manifest naming the new generation current is committed with the lease released, then the
 * merges it made pending run and files no longer referenced are deleted.
 */
final class EndCommit {
  private EndCommit() {}

  /** Commits {@code end}; see {@link Carrier#commitGeneration}. */
  static EndResult commit(ManifestStore store, SessionEnd end, String note) throws IOException {
    CarrierStorage storage = store.storage();
    if (end.storage() != storage) {
      throw new IllegalArgumentException(
          "the end of generation " + end.generation() + " was begun on another carrier than "
              + storage.location());
    }
    Manifest m = store.manifest();
    Leases.requireHeld(m, storage.location(), end.host(), end.sessionId());
    long number = m.currentGeneration() + 1;
    if (end.generation() != number) {
      throw new CarrierException(
          storage.location()
              + ": the carrier moved to generation "
              + m.currentGeneration()
              + " since this end began; begin it again");
    }
    Generation parent = Generations.kept(m, storage.location(), end.resumed().number());
    FileRecord layer = end.layerRecord();
    FileRecord state = end.stateRecord();
    FileRecord screenshot = end.screenshotRecord();
    // The copy was written through the storage: what is there must be what the manifest will say
    // (checked now unless the caller had it checked since the copy).
    end.checkLayer();
    List<String> chain = new ArrayList<>(parent.chain());
    chain.add(CarrierFiles.layer(number));
    Generation made =
        new Generation(
            number,
            parent.number(),
            store.now(),
            end.host().hostId(),
            end.sessionId(),
            chain,
            state == null ? null : CarrierFiles.state(number),
            note,
            end.qemu(),
            screenshot == null ? null : CarrierFiles.screenshot(number));
    storage.rename(end.layerName(), made.top());
    storage.forceFolder(CarrierFiles.LAYERS);
    if (state != null) {
      storage.rename(end.stateName(), made.state());
    }
    if (screenshot != null) {
      storage.rename(end.screenshotName(), made.screenshot());
    }
    if (state != null || screenshot != null) {
      storage.forceFolder(CarrierFiles.STATES);
    }
    Generations.EndPlan plan = Generations.afterEnd(m, made, layer, state, screenshot);
    String list = end.layerList();
    store.commit(plan.manifest(), list == null ? Map.of() : Map.of(made.top(), list));
    List<String> merged = LayerMerges.finish(store);
    Recovery.deleteUnreferenced(store);
    return new EndResult(store.manifest().current(), plan.retired(), plan.abandoned(), merged);
  }
}
