package dev.carryon.launcher.cli.sync;

import dev.carryon.launcher.host.HostHome;
import dev.carryon.sync.export.CarrierDisk;
import dev.carryon.sync.export.ExportProgress;
import dev.carryon.sync.export.GuestSource;
import dev.carryon.sync.export.Mirror;
import dev.carryon.sync.export.MirrorSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What {@code export} and {@code sync --mirror} share: the carrier's disk opened, the guest file
 * system chosen and its reader started (with a word on the terminal when that is libguestfs,
 * whose appliance takes seconds), warnings printed, and a mirror run with this host's record.
 */
final class GuestExport {
  /** An action on the opened source. */
  interface Action<T> {
    T run(GuestSource source, ExportProgress progress) throws IOException;
  }

  /**
   * What a run did and where it read.
   *
   * @param result the action's result
   * @param generation the carrier generation read
   * @param volume the volume read, e.g. "partition 2 (ext2/3/4 'root')"
   * @param reader "carryon's ext2/3/4 reader" or "libguestfs"
   * @param warnings damage read around, a journal replayed
   */
  record Done<T>(T result, long generation, String volume, String reader, List<String> warnings) {}

  private GuestExport() {}

  /** Opens {@code carrier}'s disk, chooses the volume holding {@code guestPath}, runs {@code a}. */
  static <T> Done<T> run(Path carrier, String guestPath, GuestSource.Selection selection,
      PrintWriter err, Action<T> a) throws IOException {
    boolean terminal = System.console() != null;
    try (CarrierDisk disk = CarrierDisk.open(carrier)) {
      try (GuestSource source = GuestSource.open(disk.device(), disk.name(), guestPath,
          selection, notice -> {
            if (terminal) {
              err.println("carryon: " + notice);
              err.flush();
            }
          })) {
        for (String w : source.warnings()) {
          err.println("carryon: warning: " + w);
        }
        err.flush();
        ActivityLine line = new ActivityLine(terminal ? err : null);
        T result = a.run(source, line);
        line.finish();
        return new Done<>(result, disk.generation().number(),
            source.choice().volume().describe(), source.readerName(), source.warnings());
      }
    }
  }

  /** Mirrors {@code guestPath} into {@code mirror}, keeping the record in this host's folder. */
  static Done<MirrorSummary> mirror(Path carrier, String guestPath,
      GuestSource.Selection selection, Path mirror, PrintWriter err) throws IOException {
    Path record = HostHome.locate().mirrorRecord(mirror);
    return run(carrier, guestPath, selection, err, (source, progress) -> Mirror.run(source,
        mirror, record, carrier.toAbsolutePath().normalize() + " "
            + source.choice().volume().id() + ":" + guestPath, progress));
  }

  /** One line on a mirror run, as {@code export --mirror} and {@code sync --mirror} print it. */
  static String describe(Done<MirrorSummary> d, Path carrier, String guestPath, Path mirror,
      double seconds) {
    MirrorSummary s = d.result();
    return String.format(Locale.ROOT, "mirrored %s from generation %d of %s, %s, into %s: %d"
        + " files, %d written (%s), %d renamed, %d unchanged, %d deleted in %.2f s", guestPath,
        d.generation(), carrier, d.volume(), mirror, s.files(), s.written(),
        SyncCommand.size(s.bytesWritten()), s.renamed(), s.unchanged(), s.deleted(), seconds);
  }

  /** "exporting: 120 files, 3.4 MiB" redrawn in place on a terminal, at most 5 times a second. */
  private static final class ActivityLine implements ExportProgress {
    /** The terminal, or null. */
    private final PrintWriter err;
    /** When the line was last drawn. */
    private long drawn;
    /** Whether anything was drawn. */
    private boolean shown;

    ActivityLine(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void handled(long files, long bytes) {
      long now = System.nanoTime();
      if (err == null || now - drawn < 200_000_000L) {
        return;
      }
      drawn = now;
      shown = true;
      err.print("\rexporting: " + files + " files, " + SyncCommand.size(bytes) + "   ");
      err.flush();
    }

    void finish() {
      if (shown) {
        err.println();
        err.flush();
      }
    }
  }
}
