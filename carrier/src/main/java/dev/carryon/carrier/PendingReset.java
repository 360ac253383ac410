package dev.carryon.carrier;

import java.util.List;
import java.util.Objects;

/**
 * A reset committed as pending and possibly cut: the images of the current generation's chain
 * above the base are merged, lowest first, into the base in place; then {@link CarrierFiles#COW}
 * is replaced by an empty one, the current generation g's state is linked (or copied) to the state
 * file of g+1, and generation g+1 is committed in place of g: parent g, the bare base and COW as
 * its chain, g's state.
 *
 * <p>While it runs, the current chain reads the same at every step: until the COW is replaced,
 * each cluster the merges change in the base is still covered by the image it came from (merged
 * lowest first, so the base ends with the topmost image's data); once the base holds all of them,
 * an empty COW in place of the old one changes nothing either; a state file of g+1 left by a cut
 * run is not referenced yet and is made again. So the whole operation is redone by the next process
 * that opens the carrier for writing. Older generations cannot be kept
 * through it (their chains would read the newer data), so the manifest that records it keeps the
 * current generation only. Written in the manifest as {@code {"op": "reset", "into": "base.raw",
 * "merge": ["cow.qcow2", "layers/L5.qcow2"]}}.
 *
 * @param into carrier name of the base, merged into
 * @param merge carrier names of the images merged into it, lowest first: the current chain above
 *     the base
 */
record PendingReset(String into, List<String> merge) {
  /** The {@code "op"} of this operation in the manifest. */
  static final String OP = "reset";

  PendingReset {
    Objects.requireNonNull(into, "into");
    merge = List.copyOf(merge);
  }
}
