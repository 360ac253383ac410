package dev.carryon.cow.raw;

import dev.carryon.cow.DiskImage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;

/** Entry point to the raw format for {@link DiskImage}; the implementation stays in here. */
public final class Raw {
  private Raw() {}

  /** Opens the raw image in {@code storage}. */
  public static DiskImage open(Storage storage) throws IOException {
    return new RawImage(storage);
  }
}
