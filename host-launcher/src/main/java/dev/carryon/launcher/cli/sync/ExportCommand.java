package dev.carryon.launcher.cli.sync;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.cli.CarrierArg;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.sync.export.CarrierDisk;
import dev.carryon.sync.export.ExportSummary;
import dev.carryon.sync.export.Exporter;
import java.io.PrintWriter;
import java.nio.file.Path;
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
    description =
        "Copy a file or directory tree from the guest's ext2/3/4 filesystem, as of the carrier's"
            + " current generation, into a host folder or a tar file. The carrier is only read.")
public final class ExportCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin CarrierArg carrier;

  @Option(
      names = "--guest-path",
      paramLabel = "PATH",
      required = true,
      description = "Absolute path in the guest, e.g. /home/user/docs or /etc/hostname.")
  String guestPath;

  @ArgGroup(multiplicity = "1")
  Target target;

  /** Exactly one of the two destinations. */
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
  }

  @Option(names = "--replace", description = "Replace files already in the way.")
  boolean replace;

  @Option(names = "--json", description = "Print the summary as JSON.")
  boolean json;

  @Override
  public Integer call() {
    if (!guestPath.startsWith("/")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--guest-path (" + guestPath + ") must be an absolute guest path");
    }
    long start = System.nanoTime();
    long[] generation = new long[1];
    ExportSummary s =
        SyncErrors.call(
            () -> {
              try (CarrierStorage storage = carrier.open();
                  CarrierDisk disk = CarrierDisk.open(storage)) {
                generation[0] = disk.generation().number();
                return target.folder != null
                    ? Exporter.toFolder(disk.filesystem(), guestPath, target.folder, replace)
                    : Exporter.toTar(disk.filesystem(), guestPath, target.tar, replace);
              }
            });
    double seconds = Math.round((System.nanoTime() - start) / 1e6) / 1000.0;
    Path where = target.folder != null ? target.folder : target.tar;
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(
          SyncJson.line(
              g -> {
                g.writeStartObject();
                g.writeStringField("carrier", carrier.toString());
                g.writeNumberField("generation", generation[0]);
                g.writeStringField("guest_path", guestPath);
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
      PrintWriter err = spec.commandLine().getErr();
      for (String line : s.skipped()) {
        err.println("carryon: " + line);
      }
      err.flush();
      out.printf(
          Locale.ROOT,
          "exported %s from generation %d of %s into %s: %d files, %d directories, %d symlinks,"
              + " %s in %.2f s%n",
          guestPath,
          generation[0],
          carrier,
          where,
          s.files(),
          s.directories(),
          s.symlinks(),
          SyncCommand.size(s.bytes()),
          seconds);
    }
    out.flush();
    return ExitCodes.OK;
  }
}
