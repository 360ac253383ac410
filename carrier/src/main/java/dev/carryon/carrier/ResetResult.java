package dev.carryon.carrier;

import java.util.List;

/**
 * What a committed reset did.
 *
 * @param generation the current generation, whose disk content is unchanged and whose chain is now
 *     the bare base and an empty COW
 * @param dropped older generations dropped: their chains no longer exist
 * @param merged the images folded into the base, lowest first
 */
public record ResetResult(Generation generation, List<Long> dropped, List<String> merged) {
  public ResetResult {
    dropped = List.copyOf(dropped);
    merged = List.copyOf(merged);
  }
}
