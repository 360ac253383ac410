package dev.carryon.carrier;

import java.util.List;

/**
 * What a committed reset did.
 *
 * @param generation the new current generation g+1: parent g, the bare base and an empty COW as its
 *     chain, the same disk content and RAM state as g
 * @param dropped generations dropped: the older ones, whose chains no longer exist, and g itself
 * @param merged the images folded into the base, lowest first
 */
public record ResetResult(Generation generation, List<Long> dropped, List<String> merged) {
  public ResetResult {
    dropped = List.copyOf(dropped);
    merged = List.copyOf(merged);
  }
}
