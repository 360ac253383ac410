package dev.carryon.launcher.cli;

import dev.carryon.carrier.EndResult;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.session.EndSession;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.watch.Unplugged;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code carryon end}: hibernate this host's session and commit it to the carrier. */
@Command(
    name = "end",
    mixinStandardHelpOptions = true,
    description = {
      "End this host's session and commit it to the carrier as a new generation.",
      "Saves the guest's RAM state, quits QEMU, writes the session's disk changes and state onto",
      "the carrier and releases the lease.",
      "An end that was cut off (cable pulled, process killed) is finished by running it again."
    })
final class EndCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin CarrierArg carrier;

  @ArgGroup(exclusive = true)
  Special special;

  @Option(names = "--wait", description = "If the carrier is not there (unplugged during the session), wait until it is plugged back in, instead of failing.")
  boolean waitForCarrier;

  static final class Special {
    @Option(names = "--commit-disk", description = "Commit the disk without a RAM state (a cold-boot generation): for a guest that was shut down, or whose QEMU is gone.")
    boolean commitDisk;

    @Option(names = "--discard", description = "Drop the session's changes: stop QEMU, release the lease, delete the local work files.")
    boolean discard;
  }

  @Override
  public Integer call() throws Exception {
    EndSession.Mode mode =
        special == null
            ? EndSession.Mode.HIBERNATE
            : special.discard ? EndSession.Mode.DISCARD : EndSession.Mode.COMMIT_DISK;
    PrintWriter out = spec.commandLine().getOut();
    try (Host host = Host.open()) {
      // Before the carrier is opened: an unplugged carrier is not an error to open but a wait.
      Optional<Path> folder = carrier.folder();
      if (folder.isEmpty() && waitForCarrier) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--wait is not for URL carriers (a server is not unplugged: run end again when it"
                + " answers)");
      }
      Optional<SessionRecord> away =
          folder.isPresent() ? Unplugged.sessionAwayFrom(host, folder.get()) : Optional.empty();
      if (away.isPresent()) {
        if (!waitForCarrier) {
          throw new CarryonException(ExitCodes.BAD_INPUT, Unplugged.describe(away.get(), folder.get()));
        }
        spec.commandLine().getErr().println("waiting for " + carrier + " to be plugged back in (Ctrl-C stops waiting; nothing is lost)");
        spec.commandLine().getErr().flush();
        Unplugged.awaitReturn(folder.get());
      }
      try (CarrierStorage storage = carrier.open()) {
        EndSession.Ended ended =
            EndSession.end(host, storage, mode, spec.commandLine().getErr(), Steps.printer(out));
        print(ended, out);
      }
    }
    return ExitCodes.OK;
  }

  /** The report of an end, after its steps: what the carrier did. */
  static void print(EndSession.Ended ended, PrintWriter out) {
    EndResult r = ended.carrier();
    if (ended.earlier()) {
      out.printf(
          "session %s already ended%s; nothing to do%n",
          ended.session().sessionId(),
          r != null
              ? ": generation " + r.generation().number() + " was committed"
              : " (" + ended.session().state().name().toLowerCase(Locale.ROOT) + " at "
                  + ended.session().endedAt() + ")");
      out.flush();
      return;
    }
    if (r == null) {
      out.printf("discarded session %s; the carrier is unchanged and free%n", ended.session().sessionId());
      out.flush();
      return;
    }
    if (ended.stateRawBytes() >= 0) {
      out.printf("  RAM state: %,d bytes before compression%n", ended.stateRawBytes());
    }
    out.printf(
        "ended session %s: generation %d committed%s%s%s; lease released%n",
        ended.session().sessionId(),
        r.generation().number(),
        r.generation().coldBoot() ? " (no RAM state: the next resume cold-boots)" : "",
        r.merged().isEmpty() ? "" : "; merged " + String.join(", ", r.merged()) + " into the COW",
        r.retired().isEmpty() && r.abandoned().isEmpty()
            ? ""
            : "; dropped generations " + r.retired() + (r.abandoned().isEmpty() ? "" : " and abandoned " + r.abandoned()));
    out.flush();
  }
}
