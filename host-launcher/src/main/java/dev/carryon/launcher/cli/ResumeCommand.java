package dev.carryon.launcher.cli;

import dev.carryon.carrier.CarrierKeys;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.qemu.HostForward;
import dev.carryon.launcher.qemu.QemuDisplay;
import dev.carryon.launcher.qemu.QemuProcess;
import dev.carryon.launcher.session.EndSession;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.ResumeSession;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code carryon resume}: continue the carrier's VM session on this host. Built in code ({@link
 * SpecCommand}): picocli reading its annotations was some 50 ms of every resume's start.
 */
final class ResumeCommand implements Callable<Integer>, SpecCommand {
  private final CommandSpec spec = SpecCommand.command(this, "resume",
      "Continue the carrier's VM session on this host, where it stopped.",
      "Checks the manifest, the chunk lists and the boot files, takes the lease, starts the",
      "session keeper (which serves the disk chain to QEMU chunk by chunk, each checked as it is",
      "first read, and then copies the rest onto this host: carryon status shows how far), boots",
      "the chain under a local COW and restores the saved RAM state, checked as it streams in.",
      "In the foreground, Ctrl-C ends the session properly (as carryon end does); with --detach",
      "the command returns once the guest runs.");

  private final CarrierArg carrier = new CarrierArg();

  {
    carrier.addTo(spec);
    PassphraseOption.addTo(spec);
  }

  private final OptionSpec checkpoint = SpecCommand.option(spec, OptionSpec.builder("--checkpoint")
      .paramLabel("GEN|TIME").type(String.class)
      .description("Resume this generation (a number) or the newest made at or before this time (ISO-8601, e.g. 2026-11-22T10:00:00Z) instead of the newest."));

  private final OptionSpec coldBoot = SpecCommand.flag(spec, "--cold-boot",
      "Boot the checkpoint's disk without its RAM state (guest writes not yet flushed in that state are lost).");

  private final OptionSpec detach = SpecCommand.flag(spec, "--detach",
      "Return once the guest runs; end the session later with carryon end.");

  private final OptionSpec console = SpecCommand.option(spec, OptionSpec.builder("--console")
      .paramLabel("FILE").type(Path.class)
      .description("Write the guest's serial console to FILE (default: stdout in the foreground, a file in the session's work folder with --detach)."));

  private final OptionSpec display = SpecCommand.option(spec, OptionSpec.builder("--display")
      .paramLabel("HOW").arity("0..1").fallbackValue("gtk").type(String.class)
      .description("How to show the VM's screen: gtk or sdl (a window), vnc=ADDR:N (a VNC server on port 5900+N) or none. --display alone is gtk. Default: a window when a desktop session is there ($DISPLAY or $WAYLAND_DISPLAY), else none."));

  private final OptionSpec hostfwd = SpecCommand.option(spec, OptionSpec.builder("--hostfwd")
      .paramLabel("RULE").type(List.class).auxiliaryTypes(String.class).initialValue(new ArrayList<String>())
      .description("Forward a port of this host to the guest's network card through QEMU's user-mode NAT, e.g. tcp:127.0.0.1:8080-:80 (repeatable)."));

  private final OptionSpec machine = SpecCommand.option(spec, OptionSpec.builder("--machine")
      .paramLabel("TYPE").type(String.class)
      .description("Boot under this QEMU machine type instead of the generation's, for a host whose QEMU lacks that type. Only without a RAM state: with --cold-boot, or for a generation that has none."));

  private final OptionSpec cacheSize = SpecCommand.option(spec, OptionSpec.builder("--cache-size")
      .paramLabel("SIZE").type(Long.class).converters(new ByteSize())
      .description("The size this host's cache of carrier files ($CARRYON_HOME/cache, for a URL carrier) and its store of disk chunks ($CARRYON_HOME/chunks) each keep to, e.g. 20G (default: a quarter of the disk holding them); the least recently used go first. What a running session reads is never evicted."));

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() throws Exception {
    String checkpoint = this.checkpoint.getValue();
    Long cacheSize = this.cacheSize.getValue();
    String display = this.display.getValue();
    boolean detach = this.detach.getValue();
    Long generation = null;
    Instant at = null;
    if (checkpoint != null) {
      try {
        generation = Long.parseLong(checkpoint);
      } catch (NumberFormatException notNumber) {
        try {
          at = Instant.parse(checkpoint);
        } catch (DateTimeParseException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--checkpoint (" + checkpoint + ") must be a generation number or an ISO-8601 time");
        }
      }
    }
    if (cacheSize != null && cacheSize <= 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--cache-size (" + cacheSize + ") must be more than 0 bytes");
    }
    String shown;
    try {
      shown = display == null ? null : QemuDisplay.parse(display);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--display " + e.getMessage());
    }
    List<HostForward> forwards = new ArrayList<>();
    for (String rule : hostfwd.<List<String>>getValue()) {
      try {
        forwards.add(new HostForward(rule));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--hostfwd " + e.getMessage());
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (CarrierStorage storage = carrier.open()) {
      // An encrypted carrier's KDF runs while this host's catalog opens and the carrier is checked.
      CarrierKeys.unlockAhead(storage);
      // So does the session keeper's JVM, the longest start the guest waits for.
      HostHome home = HostHome.locate();
      try (ResumeSession.Head head =
              ResumeSession.Head.launch(home, carrier.location(), carrier.arguments());
          Host host = Host.open(home)) {
        ResumeSession.Request request =
            new ResumeSession.Request(
                storage, generation, at, coldBoot.getValue(), detach, console.getValue(), shown,
                machine.getValue(), forwards,
                cacheSize == null ? -1 : cacheSize, carrier.arguments());
        CountDownLatch interrupted = new CountDownLatch(1);
        if (!detach) {
          Interrupts.onInterrupt(interrupted::countDown);
        }
        ResumeSession.Started s = ResumeSession.start(host, request, head, err, Steps.printer(out));
        out.printf(
            "%s generation %d of %s in %.2f s (session %s, QEMU %s, %s, %s)%n",
            s.restored() ? "resumed" : "cold-booted",
            s.generation().number(), carrier, s.elapsed().toNanos() / 1e9,
            s.record().sessionId(), s.ranUnder().version(), s.ranUnder().accel(), s.ranUnder().machineType());
        out.printf("console: %s%n", s.console() == null ? "this terminal" : s.console());
        if (s.screen() != null) {
          out.printf("screen: %s%n", s.screen());
        }
        out.flush();
        if (detach) {
          // QEMU runs on; carryon end takes its monitor from here. Closed, the connection's reader
          // no longer holds this JVM's exit (0.3 s for a thread in native code).
          s.qemu().qmp().close();
          out.printf("detached (QEMU pid %d); end the session with: carryon end %s%n", s.qemu().pid(), carrier);
          out.flush();
          return ExitCodes.OK;
        }
        return waitAndEnd(host, storage, s.qemu(), interrupted, out, err);
      }
    }
  }

  /** Waits for Ctrl-C (then ends the session) or for QEMU to exit by itself. */
  private int waitAndEnd(
      Host host,
      CarrierStorage storage,
      QemuProcess qemu,
      CountDownLatch interrupted,
      PrintWriter out,
      PrintWriter err)
      throws Exception {
    AtomicBoolean guestPoweredOff = new AtomicBoolean();
    qemu.qmp()
        .addEventListener(
            e -> {
              if ("SHUTDOWN".equals(e.name()) && e.data().path("guest").asBoolean(false)) {
                guestPoweredOff.set(true);
              }
            });
    while (!interrupted.await(200, TimeUnit.MILLISECONDS)) {
      if (!qemu.isAlive()) {
        break;
      }
    }
    EndSession.Mode mode;
    if (interrupted.getCount() == 0) {
      err.println("ending the session...");
      mode = EndSession.Mode.HIBERNATE;
    } else if (guestPoweredOff.get()) {
      err.println("the guest shut down; committing its disk without a RAM state...");
      mode = EndSession.Mode.COMMIT_DISK;
    } else {
      qemu.waitForExit(Duration.ofSeconds(1));
      throw new CarryonException(
          ExitCodes.FAILURE,
          "QEMU exited unexpectedly (" + qemu.stderrTail() + "); the session's disk changes are"
              + " kept on this host. Commit them with: carryon end --commit-disk " + carrier
              + ", or drop them with: carryon end --discard " + carrier);
    }
    EndSession.Ended ended = EndSession.end(host, storage, mode, err, Steps.printer(out), qemu);
    EndCommand.print(ended, out);
    return ExitCodes.OK;
  }
}
