package dev.carryon.launcher.blocks;

import java.io.IOException;

/**
 * A chunk read from the carrier does not match its chunk list: the reader gets an I/O error, never
 * the bytes. The message names the carrier file and the chunk's offset.
 */
public final class ChunkMismatchException extends IOException {
  ChunkMismatchException(String message) {
    super(message);
  }
}
