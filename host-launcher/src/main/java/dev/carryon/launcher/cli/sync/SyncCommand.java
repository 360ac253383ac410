package dev.carryon.launcher.cli.sync;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.carryon.carrier.CarrierBusyException;
import dev.carryon.carrier.LeaseException;
import dev.carryon.carrier.ResetResult;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.cli.ByteSize;
import dev.carryon.launcher.cli.CarrierArg;
import dev.carryon.launcher.cli.PassphraseOption;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.cli.ProgressBar;
import dev.carryon.launcher.session.Host;
import dev.carryon.sync.export.GuestSource;
import dev.carryon.sync.export.MirrorSummary;
import dev.carryon.sync.host.HostSync;
import dev.carryon.sync.host.SyncMode;
import dev.carryon.sync.host.SyncResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code carryon sync}: fold a carrier's disk into the host's own image, optionally reset it. */
@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    description = {
      "Fold the carrier's current disk content into HOST (this PC's own qcow2 or raw copy of the"
          + " VM disk, same virtual size), writing only the clusters that differ, and record on the"
          + " carrier which generation HOST holds. Refused while a session holds the carrier's"
          + " lease, and for an image that is not a copy of the carrier's disk.",
      "With --reset-above, once HOST is in sync, a carrier whose COW and layers take more than"
          + " SIZE is reset: they are folded into its base and emptied; the disk content and the"
          + " newest checkpoint stay valid, older checkpoints are dropped.",
      "With --every, runs as a long-lived job (one run, then a sleep) until SIGINT or SIGTERM.",
      "With --mirror, each run then keeps HOSTDIR an exact copy of the guest directory"
          + " --guest-path, as export --mirror does (only changes are written)."
    })
public final class SyncCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin CarrierArg carrier;

  @Mixin PassphraseOption passphrase;

  @Option(
      names = "--host-image",
      paramLabel = "HOST",
      required = true,
      description = "This PC's copy of the VM disk (qcow2 or raw), written in place.")
  Path hostImage;

  @Option(
      names = "--reset-above",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      description = "Reset the carrier when its COW and layers take more than SIZE (e.g. 512M).")
  Long resetAbove;

  @Option(
      names = "--every",
      paramLabel = "INTERVAL",
      converter = Units.Interval.class,
      description = "Run again after INTERVAL (e.g. 15m, 1h) until stopped; skips runs while the"
          + " carrier is leased.")
  Duration every;

  @Option(
      names = "--max-runs",
      paramLabel = "N",
      description = "With --every: stop after N runs (default: no limit).")
  long maxRuns;

  @Option(names = "--json", description = "Print one JSON object per run.")
  boolean json;

  @Option(
      names = "--mirror",
      paramLabel = "HOSTDIR",
      description = "After each fold, mirror --guest-path into HOSTDIR (see export --mirror).")
  Path mirror;

  @Option(
      names = "--guest-path",
      paramLabel = "PATH",
      description = "With --mirror: the guest directory mirrored, e.g. /home/user/docs.")
  String guestPath;

  @Option(
      names = "--partition",
      paramLabel = "N|LABEL|TYPE",
      description = "With --mirror: read this partition (see export).")
  String partition;

  @Option(
      names = "--lv",
      paramLabel = "VG/LV",
      description = "With --mirror: read this LVM2 logical volume (see export).")
  String lv;

  @Override
  public Integer call() throws IOException {
    if (maxRuns < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--max-runs (" + maxRuns + ") must not be negative");
    }
    if (maxRuns > 0 && every == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-runs needs --every");
    }
    if ((mirror == null) != (guestPath == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--mirror and --guest-path go together");
    }
    if (guestPath != null && !guestPath.startsWith("/")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--guest-path (" + guestPath + ") must be an absolute guest path");
    }
    if (mirror == null && (partition != null || lv != null)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--partition and --lv go with --mirror");
    }
    if (partition != null && lv != null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--partition and --lv are mutually exclusive");
    }
    String hostId;
    try (Host host = Host.open()) {
      hostId = host.identity().hostId();
    }
    if (every == null) {
      long start = System.nanoTime();
      SyncResult r = SyncErrors.call(() -> syncOnce(hostId));
      print(r, null, seconds(start));
      mirrorOnce(null);
      return ExitCodes.OK;
    }
    return new Periodic(every, maxRuns).loop(() -> periodicRun(hostId));
  }

  private SyncResult syncOnce(String hostId) throws IOException {
    ProgressBar bar = ProgressBar.on(spec.commandLine().getErr(), "syncing");
    ProgressBar resetBar = ProgressBar.on(spec.commandLine().getErr(), "resetting");
    try (CarrierStorage storage = carrier.open()) {
      return HostSync.sync(
          storage,
          hostImage,
          hostId,
          resetAbove == null ? -1 : resetAbove,
          bar::update,
          (done, total) -> {
            bar.finish(); // the fold's line ends before the reset's starts
            resetBar.update(done, total);
          });
    } finally {
      bar.finish();
      resetBar.finish();
    }
  }

  /** One run of a periodic job: never throws, logs what happened with a timestamp. */
  private int periodicRun(String hostId) {
    long start = System.nanoTime();
    try {
      SyncResult r = SyncErrors.call(() -> syncOnce(hostId));
      print(r, now(), seconds(start));
      mirrorOnce(now());
      return ExitCodes.OK;
    } catch (CarryonException e) {
      // A session or another command has the carrier now: the next run will find it free.
      boolean busy =
          e.getCause() instanceof LeaseException || e.getCause() instanceof CarrierBusyException;
      String status = busy ? "skipped" : "failed";
      PrintWriter out = json ? spec.commandLine().getOut() : spec.commandLine().getErr();
      if (json) {
        out.println(
            SyncJson.line(
                g -> {
                  g.writeStartObject();
                  g.writeStringField("time", now().toString());
                  g.writeStringField("carrier", carrier.toString());
                  g.writeStringField("host_image", hostImage.toString());
                  g.writeStringField("status", status);
                  g.writeStringField("error", e.getMessage());
                  g.writeNumberField("exit_code", e.exitCode());
                  g.writeEndObject();
                }));
      } else {
        out.println(now() + " " + status + ": " + e.getMessage());
      }
      out.flush();
      return e.exitCode();
    } catch (RuntimeException e) {
      // A periodic job outlives one bad run: log it and try again at the next.
      PrintWriter err = spec.commandLine().getErr();
      err.println(now() + " failed: " + e);
      err.flush();
      return ExitCodes.FAILURE;
    }
  }

  /** With --mirror: one mirror run after the fold, printed like the fold's line. */
  private void mirrorOnce(Instant time) {
    if (mirror == null) {
      return;
    }
    long start = System.nanoTime();
    GuestExport.Done<MirrorSummary> d = SyncErrors.call(() -> GuestExport.mirror(carrier,
        guestPath, new GuestSource.Selection(partition, lv, GuestSource.Reader.AUTO), mirror,
        spec.commandLine().getErr()));
    double seconds = seconds(start);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      MirrorSummary s = d.result();
      out.println(SyncJson.line(g -> {
        g.writeStartObject();
        if (time != null) {
          g.writeStringField("time", time.toString());
        }
        g.writeStringField("carrier", carrier.toString());
        g.writeStringField("status", "mirrored");
        g.writeStringField("mirror", mirror.toString());
        g.writeStringField("guest_path", guestPath);
        g.writeNumberField("generation", d.generation());
        g.writeNumberField("files", s.files());
        g.writeNumberField("written", s.written());
        g.writeNumberField("bytes_written", s.bytesWritten());
        g.writeNumberField("renamed", s.renamed());
        g.writeNumberField("deleted", s.deleted());
        g.writeNumberField("seconds", seconds);
        g.writeEndObject();
      }));
    } else {
      out.println((time == null ? "" : time + " ")
          + GuestExport.describe(d, carrier, guestPath, mirror, seconds));
    }
    out.flush();
  }

  /** Prints what a run did; {@code time} prefixes each line of a periodic run, else null. */
  private void print(SyncResult r, Instant time, double seconds) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(SyncJson.line(g -> writeJson(g, r, time, seconds)));
    } else {
      String prefix = time == null ? "" : time + " ";
      if (r.mode() == SyncMode.UP_TO_DATE) {
        out.println(
            prefix
                + hostImage
                + " is up to date with generation "
                + r.generation()
                + " of "
                + carrier
                + ": nothing written"
                + in(seconds));
      } else {
        out.println(
            prefix
                + "synced generation "
                + r.generation()
                + " of "
                + carrier
                + " into "
                + hostImage
                + " ("
                + r.mode().name().toLowerCase(Locale.ROOT)
                + "): "
                + r.clustersWritten()
                + " of "
                + r.clustersCompared()
                + " clusters compared differed, "
                + size(r.bytesWritten())
                + " written"
                + in(seconds));
      }
      if (r.reset() != null) {
        ResetResult x = r.reset();
        out.println(
            prefix
                + "reset: COW was "
                + size(r.cowBytes())
                + ", folded "
                + String.join(", ", x.merged())
                + " into the base; generation "
                + x.generation().number()
                + " continues; dropped checkpoints: "
                + (x.dropped().isEmpty() ? "none" : x.dropped()));
      }
    }
    out.flush();
  }

  private void writeJson(JsonGenerator g, SyncResult r, Instant time, double seconds)
      throws IOException {
    g.writeStartObject();
    if (time != null) {
      g.writeStringField("time", time.toString());
    }
    g.writeStringField("carrier", carrier.toString());
    g.writeStringField("host_image", hostImage.toString());
    g.writeStringField("status", r.mode() == SyncMode.UP_TO_DATE ? "up-to-date" : "synced");
    g.writeNumberField("generation", r.generation());
    g.writeStringField("mode", r.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    g.writeNumberField("clusters_compared", r.clustersCompared());
    g.writeNumberField("clusters_written", r.clustersWritten());
    g.writeNumberField("bytes_written", r.bytesWritten());
    g.writeNumberField("file_bytes_written", r.fileBytesWritten());
    g.writeNumberField("cow_bytes", r.cowBytes());
    g.writeNumberField("seconds", seconds);
    if (r.reset() == null) {
      g.writeNullField("reset");
    } else {
      g.writeObjectFieldStart("reset");
      g.writeNumberField("generation", r.reset().generation().number());
      g.writeArrayFieldStart("merged");
      for (String name : r.reset().merged()) {
        g.writeString(name);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("dropped");
      for (long n : r.reset().dropped()) {
        g.writeNumber(n);
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static double seconds(long startNanos) {
    return Math.round((System.nanoTime() - startNanos) / 1e6) / 1000.0;
  }

  private static String in(double seconds) {
    return String.format(Locale.ROOT, " in %.2f s", seconds);
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  /** Bytes as people read them: 512 B, 64.0 KiB, 1.5 GiB. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String units = "KMGTPE";
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length() - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %siB", v, units.charAt(u));
  }
}
