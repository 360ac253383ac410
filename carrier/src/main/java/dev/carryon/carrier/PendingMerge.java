package dev.carryon.carrier;

import java.util.Objects;

/**
 * A merge of the lowest layer into the carrier's COW that was committed as pending and may have
 * been cut. Copying the layer's clusters into the COW again gives the same content, so it is redone
 * whole by the next process that opens the carrier for writing. Written in the manifest as {@code
 * {"op": "merge-layer", "layer": ..., "into": ...}}.
 *
 * @param layer carrier name of the layer being merged
 * @param into carrier name of the image it is merged into ({@link CarrierFiles#COW})
 */
public record PendingMerge(String layer, String into) {
  /** The {@code "op"} of this operation in the manifest. */
  static final String OP = "merge-layer";

  public PendingMerge {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(into, "into");
  }
}
