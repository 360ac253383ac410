package dev.carryon.launcher.cli.sync;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.cli.CarrierArg;
import dev.carryon.launcher.cli.PassphraseOption;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.sync.disk.DiskLayout;
import dev.carryon.sync.export.CarrierDisk;
import dev.carryon.sync.export.ExportSummary;
import dev.carryon.sync.export.Exporter;
import dev.carryon.sync.export.GuestSource;
import dev.carryon.sync.export.MirrorSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code carryon export}: copy guest files out of a carrier's current disk. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Copy a file or directory tree from the guest's disk, as of the carrier's current"
          + " generation, into a host folder, a tar file, or a mirror folder kept current run"
          + " after run. The carrier is only read.",
      "The disk may be partitioned (GPT, MBR) and use LVM2 (linear volumes). By default the file"
          + " system holding the guest path is read: the only one, or the root file system (the"
          + " one with /etc/fstab), or the volume its fstab mounts at a prefix of the path."
          + " --partition or --lv names one instead (the path is then inside that file system).",
      "ext2/3/4 is read by carryon itself; other file systems (XFS, btrfs ...) through"
          + " libguestfs (Debian: libguestfs-tools), read-only.",
      "--mirror writes only what changed since the last mirror into that folder (new, changed,"
          + " renamed and deleted files, modes, times, symlinks); a cut run is finished by the"
          + " next. This host keeps the mirror's record under CARRYON_HOME/mirrors."
    })
public final class ExportCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin CarrierArg carrier;

  @Mixin PassphraseOption passphrase;

  @Option(
      names = "--guest-path",
      paramLabel = "PATH",
      description = "Absolute path in the guest, e.g. /home/user/docs or /etc/hostname.")
  String guestPath;

  @ArgGroup(multiplicity = "1")
  Target target;

  /** Exactly one of the destinations, or the listing. */
  static final class Target {
    @Option(
        names = "--to",
        paramLabel = "HOSTDIR",
        required = true,
        description = "Host folder the exported entry lands in (created if missing).")
    Path folder;

    @Option(
        names = "--tar",
        paramLabel = "FILE",
        required = true,
        description = "Tar file to write (POSIX pax format).")
    Path tar;

    @Option(
        names = "--mirror",
        paramLabel = "HOSTDIR",
        required = true,
        description = "Host folder to keep an exact copy of the guest directory (its entries, not"
            + " the directory itself); only changes are written.")
    Path mirror;

    @Option(
        names = "--list",
        required = true,
        description = "List the disk's partitions, logical volumes and file systems; export"
            + " nothing.")
    boolean list;
  }

  @ArgGroup(multiplicity = "0..1")
  Volume volume;

  /** At most one way to name the volume. */
  static final class Volume {
    @Option(
        names = "--partition",
        paramLabel = "N|LABEL|TYPE",
        required = true,
        description = "Read this partition: its number, GPT name, or type (\"Linux filesystem\","
            + " a GUID, 0x83).")
    String partition;

    @Option(
        names = "--lv",
        paramLabel = "VG/LV",
        required = true,
        description = "Read this LVM2 logical volume (linear only).")
    String lv;
  }

  @Option(
      names = "--reader",
      paramLabel = "auto|java|libguestfs",
      description = "auto (default): carryon's own reader for ext2/3/4, libguestfs for anything"
          + " else; java: carryon's only; libguestfs: libguestfs even for ext2/3/4.")
  String reader = "auto";

  @Option(names = "--replace", description = "With --to or --tar: replace files in the way.")
  boolean replace;

  @Option(names = "--json", description = "Print the summary as JSON.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (target.list) {
      return list(out);
    }
    if (guestPath == null || !guestPath.startsWith("/")) {
      throw new CommandLine.ParameterException(spec.commandLine(), guestPath == null
          ? "--guest-path is required" : "--guest-path (" + guestPath + ") must be an absolute"
          + " guest path");
    }
    if (replace && target.mirror != null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--replace goes with --to or --tar; a mirror always replaces");
    }
    GuestSource.Selection selection = selection();
    long start = System.nanoTime();
    if (target.mirror != null) {
      GuestExport.Done<MirrorSummary> d = SyncErrors.call(() -> GuestExport.mirror(carrier,
          guestPath, selection, target.mirror, err));
      double seconds = seconds(start);
      if (!json) {
        printSkipped(err, d.result().skipped());
      }
      out.println(json ? mirrorJson(d, seconds)
          : GuestExport.describe(d, carrier, guestPath, target.mirror, seconds));
      out.flush();
      return ExitCodes.OK;
    }
    GuestExport.Done<ExportSummary> d = SyncErrors.call(() -> GuestExport.run(carrier, guestPath,
        selection, err, (source, progress) -> target.folder != null
            ? Exporter.toFolder(source, target.folder, replace, progress)
            : Exporter.toTar(source, target.tar, replace, progress)));
    double seconds = seconds(start);
    ExportSummary s = d.result();
    Path where = target.folder != null ? target.folder : target.tar;
    if (json) {
      out.println(SyncJson.line(g -> {
        g.writeStartObject();
        common(g, d);
        g.writeStringField(target.folder != null ? "folder" : "tar", where.toString());
        g.writeNumberField("files", s.files());
        g.writeNumberField("directories", s.directories());
        g.writeNumberField("symlinks", s.symlinks());
        g.writeNumberField("bytes", s.bytes());
        g.writeArrayFieldStart("skipped");
        for (String line : s.skipped()) {
          g.writeString(line);
        }
        g.writeEndArray();
        g.writeNumberField("seconds", seconds);
        g.writeEndObject();
      }));
    } else {
      printSkipped(err, s.skipped());
      out.printf(Locale.ROOT, "exported %s from generation %d of %s, %s, into %s: %d files, %d"
          + " directories, %d symlinks, %s in %.2f s%n", guestPath, d.generation(), carrier,
          d.volume(), where, s.files(), s.directories(), s.symlinks(), SyncCommand.size(s.bytes()),
          seconds);
    }
    out.flush();
    return ExitCodes.OK;
  }

  /** The volume options as the sync module takes them; a bad --reader is a usage error. */
  GuestSource.Selection selection() {
    GuestSource.Reader r;
    try {
      r = GuestSource.Reader.valueOf(reader.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--reader (" + reader
          + ") must be auto, java or libguestfs");
    }
    return new GuestSource.Selection(volume == null ? null : volume.partition,
        volume == null ? null : volume.lv, r);
  }

  private int list(PrintWriter out) {
    DiskLayout layout = SyncErrors.call(() -> {
      try (CarrierStorage storage = carrier.open();
          CarrierDisk disk = CarrierDisk.open(storage)) {
        return DiskLayout.scan(disk.device(), disk.name());
      }
    });
    if (json) {
      out.println(SyncJson.line(g -> {
        g.writeStartObject();
        g.writeStringField("carrier", carrier.toString());
        g.writeStringField("partition_table", layout.table().scheme().name().toLowerCase(
            Locale.ROOT));
        g.writeArrayFieldStart("volumes");
        for (var v : layout.volumes()) {
          g.writeStartObject();
          g.writeStringField("id", v.id());
          if (v.partition() != null) {
            g.writeNumberField("partition", v.partition().number());
            g.writeStringField("type", v.partition().typeName());
            g.writeStringField("name", v.partition().label());
          }
          if (v.lv() != null) {
            g.writeStringField("lv", v.lv().fullName());
          }
          g.writeStringField("contents", v.unsupported() != null ? v.unsupported()
              : v.fs().type().display());
          g.writeStringField("label", v.fs().label());
          g.writeStringField("uuid", v.fs().uuid());
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("warnings");
        for (String w : layout.warnings()) {
          g.writeString(w);
        }
        g.writeEndArray();
        g.writeEndObject();
      }));
    } else {
      out.println(layout.name() + ": " + layout.table().scheme().name().toLowerCase(Locale.ROOT)
          .replace("none", "no") + " partition table");
      for (String line : layout.describe()) {
        out.println("  " + line);
      }
      for (String w : layout.warnings()) {
        spec.commandLine().getErr().println("carryon: warning: " + w);
      }
    }
    out.flush();
    return ExitCodes.OK;
  }

  private String mirrorJson(GuestExport.Done<MirrorSummary> d, double seconds) {
    MirrorSummary s = d.result();
    return SyncJson.line(g -> {
      g.writeStartObject();
      common(g, d);
      g.writeStringField("mirror", target.mirror.toString());
      g.writeNumberField("files", s.files());
      g.writeNumberField("written", s.written());
      g.writeNumberField("bytes_written", s.bytesWritten());
      g.writeNumberField("renamed", s.renamed());
      g.writeNumberField("unchanged", s.unchanged());
      g.writeNumberField("symlinks_written", s.symlinks());
      g.writeNumberField("directories_created", s.directories());
      g.writeNumberField("deleted", s.deleted());
      g.writeArrayFieldStart("skipped");
      for (String line : s.skipped()) {
        g.writeString(line);
      }
      g.writeEndArray();
      g.writeNumberField("seconds", seconds);
      g.writeEndObject();
    });
  }

  private void common(JsonGenerator g, GuestExport.Done<?> d) throws IOException {
    g.writeStringField("carrier", carrier.toString());
    g.writeNumberField("generation", d.generation());
    g.writeStringField("guest_path", guestPath);
    g.writeStringField("volume", d.volume());
    g.writeStringField("reader", d.reader());
    g.writeArrayFieldStart("warnings");
    for (String w : d.warnings()) {
      g.writeString(w);
    }
    g.writeEndArray();
  }

  private static void printSkipped(PrintWriter err, List<String> skipped) {
    for (String line : skipped) {
      err.println("carryon: " + line);
    }
    err.flush();
  }

  private static double seconds(long startNanos) {
    return Math.round((System.nanoTime() - startNanos) / 1e6) / 1000.0;
  }
}
