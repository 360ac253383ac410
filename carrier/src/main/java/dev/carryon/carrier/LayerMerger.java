package dev.carryon.carrier;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Folds a layer into the image below it: after {@code merge(layer, into)}, reading {@code into}
 * gives what reading the chain through {@code layer} gave. It must be idempotent, since a merge cut
 * short is simply run again: copying the layer's clusters into the target a second time gives the
 * same content. The carrier forces {@code into} after it returns.
 */
@FunctionalInterface
public interface LayerMerger {
  /**
   * @param layer the layer whose allocated clusters are copied; not changed
   * @param into the image written
   */
  void merge(Path layer, Path into) throws IOException;
}
