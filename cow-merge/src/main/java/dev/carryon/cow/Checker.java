package dev.carryon.cow;

import dev.carryon.cow.io.FileStorage;
import dev.carryon.cow.io.Storage;
import dev.carryon.cow.qcow2.Qcow2;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;

/** Consistency checks comparable to {@code qemu-img check}. */
public final class Checker {
  private Checker() {}

  /** Checks {@code image} without changing it. */
  public static CheckReport check(Path image) throws IOException {
    return check(image, false);
  }

  /**
   * Checks {@code image}; with {@code repairLeaks}, lowers leaked refcounts (never touches an
   * image with corruptions beyond leaks: those are only reported).
   */
  public static CheckReport check(Path image, boolean repairLeaks) throws IOException {
    try (Storage s = repairLeaks ? FileStorage.openReadWrite(image) : FileStorage.openReadOnly(image)) {
      return check(s, repairLeaks);
    }
  }

  /**
   * Checks the image in {@code storage} (which must be writable to repair leaks) as {@link
   * #check(Path, boolean)} does; the storage stays open.
   */
  public static CheckReport check(Storage storage, boolean repairLeaks) throws IOException {
    if (!Qcow2.hasMagic(storage)) {
      return new CheckReport(
          storage.path().toString(), "raw", 0, 0, 0, 0, 0, storage.size(), 0, 0, 0, 0, Collections.emptyList());
    }
    CheckReport report = Qcow2.check(storage, false);
    if (repairLeaks && report.leaks() > 0 && report.corruptions() == 0 && report.checkErrors() == 0) {
      report = Qcow2.check(storage, true);
    }
    return report;
  }
}
