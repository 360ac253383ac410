package dev.carryon.launcher.blocks;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Reads a carrier image's bytes as the carrier holds them, unchecked ({@code Carrier::readImage}). */
@FunctionalInterface
public interface ImageReader {
  /**
   * Reads up to {@code dst.remaining()} bytes of {@code image} at {@code offset}; the count read,
   * or -1 at the end.
   */
  int read(String image, long offset, ByteBuffer dst) throws IOException;
}
