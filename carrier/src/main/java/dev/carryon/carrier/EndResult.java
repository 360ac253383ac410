package dev.carryon.carrier;

import java.util.List;

/**
 * What a committed session end did.
 *
 * @param generation the new current generation
 * @param retired generations dropped because they fell out of the keep window
 * @param abandoned generations dropped because they are not ancestors of the new one (a session
 *     that resumed an older checkpoint abandons the newer ones)
 * @param merged layers folded into the carrier's COW afterwards, lowest first
 */
public record EndResult(
    Generation generation, List<Long> retired, List<Long> abandoned, List<String> merged) {
  public EndResult {
    retired = List.copyOf(retired);
    abandoned = List.copyOf(abandoned);
    merged = List.copyOf(merged);
  }
}
