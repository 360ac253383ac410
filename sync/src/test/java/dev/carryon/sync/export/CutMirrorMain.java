package dev.carryon.sync.export;

import java.nio.file.Path;

/**
 * The child process of {@link MirrorCrashTest}: one mirror run of an ext4 image's root, cut by
 * {@code CARRYON_CUT_ROOT} and {@code CARRYON_CUT_AT}. Arguments: image, mirror folder, record.
 */
public final class CutMirrorMain {
  private CutMirrorMain() {}

  public static void main(String[] args) throws Exception {
    MirrorTest.mirror(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
  }
}
