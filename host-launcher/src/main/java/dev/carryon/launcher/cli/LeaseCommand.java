package dev.carryon.launcher.cli;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Lease;
import dev.carryon.carrier.storage.CarrierStorage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code carryon lease}: who holds a carrier, and freeing a stale lease. */
@Command(
    name = "lease",
    mixinStandardHelpOptions = true,
    description = "Show or break a carrier's lease.",
    subcommands = {LeaseCommand.Show.class, LeaseCommand.Break.class})
final class LeaseCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "say show or break");
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show who holds the carrier's lease.")
  static final class Show implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin CarrierArg carrier;

    @Mixin PassphraseOption passphrase;

    @Override
    public Integer call() throws Exception {
      try (CarrierStorage storage = carrier.open();
          Carrier c = Carrier.open(storage)) {
        Lease lease = c.manifest().lease();
        PrintWriter out = spec.commandLine().getOut();
        out.println(lease == null ? carrier + ": free" : carrier + ": leased by " + lease.describe());
        out.flush();
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "break",
      mixinStandardHelpOptions = true,
      description = {
        "Free a carrier whose session is gone for good (its host died or lost its work files).",
        "The session's unsaved work is lost; the carrier stays at its last committed generation."
      })
  static final class Break implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin CarrierArg carrier;

    @Mixin PassphraseOption passphrase;

    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation.")
    boolean yes;

    @Override
    public Integer call() throws Exception {
      try (CarrierStorage storage = carrier.open()) {
        return breakLease(storage);
      }
    }

    private int breakLease(CarrierStorage storage) throws java.io.IOException {
      PrintWriter out = spec.commandLine().getOut();
      Lease held;
      try (Carrier c = Carrier.open(storage)) {
        held = c.manifest().lease();
      }
      if (held == null) {
        out.println(carrier + ": no lease to break");
        out.flush();
        return ExitCodes.OK;
      }
      if (!yes && !confirmed(held, out)) {
        throw new CarryonException(ExitCodes.REFUSED, "lease on " + carrier + " not broken");
      }
      try (Carrier c = Carrier.openForWrite(storage, "carryon lease break")) {
        Lease broken = c.breakLease();
        out.println(carrier + ": broke the lease of " + (broken == null ? "nobody" : broken.describe()));
      }
      out.flush();
      return ExitCodes.OK;
    }

    private boolean confirmed(Lease held, PrintWriter out) throws java.io.IOException {
      if (System.console() == null) {
        throw new CarryonException(
            ExitCodes.REFUSED,
            carrier + " is leased by " + held.describe() + "; no terminal to confirm on: pass --yes"
                + " to break the lease");
      }
      out.print("break the lease of " + held.describe() + "? Its session's unsaved work is lost. [y/N] ");
      out.flush();
      String answer =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      return answer != null && answer.trim().toLowerCase(java.util.Locale.ROOT).startsWith("y");
    }
  }
}
