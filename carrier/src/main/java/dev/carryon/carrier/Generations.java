package dev.carryon.carrier;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How the kept generations change: a session end adds one on top of the generation it resumed,
 * keeps the newest {@code keep} of that line and drops the rest; a merge folds the lowest shared
 * layer into the COW. Pure functions of manifests; nothing here touches storage.
 */
final class Generations {
  private Generations() {}

  /**
   * The manifest after a session end, and which generations it drops.
   *
   * @param manifest the manifest to commit: the new generation current, the lease released
   * @param retired generation numbers dropped because they fell out of the keep window
   * @param abandoned generation numbers dropped because they are not ancestors of the new one
   */
  record EndPlan(Manifest manifest, List<Long> retired, List<Long> abandoned) {}

  /**
   * The manifest once {@code made} ends a session; its parent must be kept in {@code manifest}.
   *
   * @param layer size and checksum of the new layer
   * @param state size and checksum of the new state, or null for a cold-boot generation
   * @param screenshot size and checksum of the new screenshot, or null when none
   */
  static EndPlan afterEnd(
      Manifest manifest, Generation made, FileRecord layer, FileRecord state, FileRecord screenshot) {
    List<Generation> line = new ArrayList<>();
    line.add(made);
    Long parent = made.parent();
    while (parent != null && line.size() < manifest.keep()) {
      Generation g = manifest.generation(parent).orElse(null);
      if (g == null) {
        break;
      }
      line.add(0, g);
      parent = g.parent();
    }
    List<Long> retired = new ArrayList<>();
    List<Long> abandoned = new ArrayList<>();
    for (Generation g : manifest.generations()) {
      if (line.contains(g)) {
        continue;
      }
      (isAncestor(manifest, g.number(), made) ? retired : abandoned).add(g.number());
    }
    Map<String, FileRecord> known = new HashMap<>(manifest.files());
    known.put(made.top(), layer);
    if (made.state() != null) {
      known.put(made.state(), state);
    }
    if (made.screenshot() != null) {
      known.put(made.screenshot(), screenshot);
    }
    Manifest next = manifest.withLease(null).withGenerations(made.number(), line, known);
    return new EndPlan(next.withPending(nextMerge(next)), retired, abandoned);
  }

  /**
   * The merge that may run now: the lowest layer of the oldest kept generation is in every kept
   * chain (they form one line), so folding it into the COW changes no kept generation's content.
   */
  static PendingMerge nextMerge(Manifest m) {
    List<String> oldest = m.generations().get(0).chain();
    if (oldest.size() <= 2) {
      return null;
    }
    String layer = oldest.get(2);
    return new PendingMerge(layer, CarrierFiles.COW, layerAbove(m, layer));
  }

  /**
   * The layer directly above {@code layer} in the current chain, or null. Every kept chain is a
   * prefix of the current one (they form one line), so no kept chain has another layer there.
   */
  static String layerAbove(Manifest m, String layer) {
    List<String> chain = m.current().chain();
    int at = chain.indexOf(layer);
    return at >= 0 && at + 1 < chain.size() ? chain.get(at + 1) : null;
  }

  /**
   * The manifest once the pending merge is done: the COW has {@code cow} as its content and the
   * rebased layer, if any, {@code rebased}.
   */
  static Manifest afterMerge(Manifest m, FileRecord cow, FileRecord rebased) {
    String layer = m.pending().layer();
    List<Generation> generations = new ArrayList<>();
    for (Generation g : m.generations()) {
      List<String> chain = new ArrayList<>(g.chain());
      chain.remove(layer);
      generations.add(g.withChain(chain));
    }
    Map<String, FileRecord> known = new HashMap<>(m.files());
    known.put(m.pending().into(), cow);
    if (m.pending().rebase() != null) {
      known.put(m.pending().rebase(), rebased);
    }
    Manifest next = m.withGenerations(m.currentGeneration(), generations, known);
    return next.withPending(nextMerge(next));
  }

  private static boolean isAncestor(Manifest m, long number, Generation of) {
    Long p = of.parent();
    while (p != null) {
      if (p == number) {
        return true;
      }
      p = m.generation(p).map(Generation::parent).orElse(null);
    }
    return false;
  }
}
