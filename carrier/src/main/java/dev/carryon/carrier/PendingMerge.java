package dev.carryon.carrier;

import java.util.Objects;

/**
 * A merge of the lowest layer into the carrier's COW that was committed as pending and may have
 * been cut, with the header change that goes with it: once the COW holds the layer's clusters, the
 * layer directly above (if any) is rebased (header only) to name the COW as its backing file, so
 * that no header names the layer once it is dropped. Copying the layer's clusters into the COW
 * again gives the same content and writing the same header again changes nothing, so the whole
 * operation is redone by the next process that opens the carrier for writing. Written in the
 * manifest as {@code {"op": "merge-layer", "layer": ..., "into": ..., "rebase": ... | null}}.
 *
 * @param layer carrier name of the layer being merged
 * @param into carrier name of the image it is merged into ({@link CarrierFiles#COW})
 * @param rebase carrier name of the layer directly above {@code layer}, whose header is changed to
 *     name {@code into}; null when {@code layer} is the top of every chain
 */
record PendingMerge(String layer, String into, String rebase) {
  /** The {@code "op"} of this operation in the manifest. */
  static final String OP = "merge-layer";

  PendingMerge {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(into, "into");
  }
}
