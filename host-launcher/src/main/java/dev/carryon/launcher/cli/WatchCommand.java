package dev.carryon.launcher.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.phone.Adb;
import dev.carryon.launcher.phone.Pairings;
import dev.carryon.launcher.phone.PhoneWatch;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.watch.DesktopNotifier;
import dev.carryon.launcher.watch.HostLacksException;
import dev.carryon.launcher.watch.UsbHotplug;
import dev.carryon.launcher.watch.Watch;
import dev.carryon.launcher.watch.WatchEvent;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carryon watch}: report carriers plugged in and out; optionally resume them. */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description = {
      "Notice carriers being plugged in and out, until stopped (Ctrl-C or SIGTERM).",
      "Looks for a carrier at the root, or one folder down, of every file system",
      "mounted (a USB drive), and for phones with USB debugging (libusb hotplug).",
      "Prints one line per event and, in a desktop session, shows a notification.",
      "With --auto-resume a free carrier is resumed at once (as resume --detach);",
      "a carrier leased by another host never is. It then first rehearses a session",
      "on a throwaway empty disk (a few seconds) and keeps a session keeper started",
      "ahead, so that a plugged-in carrier waits for no JVM to warm up or start.",
      "A carrier unplugged while its session runs here is reported at once: the",
      "guest keeps running, and the session ends once the carrier is back",
      "(carryon end --wait)."
    })
final class WatchCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--auto-resume", description = "Resume a free carrier as soon as it is plugged in (resume --detach).")
  boolean autoResume;

  @Option(names = "--json", description = "One JSON object per line: {\"event\":\"attached\",\"carrier\":...,\"generation\":N,\"lease\":null|HOST,...}, \"detached\", \"resumed\", \"not_resumed\", \"unreadable\", \"phone_attached\", \"phone_detached\", \"skipped\", and \"watching\" first.")
  boolean json;

  @Option(names = "--under", paramLabel = "FOLDER", description = "Only look at file systems mounted at or below FOLDER (repeatable; default: all, e.g. --under /media).")
  List<Path> under = new ArrayList<>();

  @Option(names = "--no-notify", description = "No desktop notifications.")
  boolean noNotify;

  @Override
  public Integer call() throws Exception {
    List<Path> roots = new ArrayList<>();
    for (Path folder : under.isEmpty() ? List.of(Path.of("/")) : under) {
      if (!Files.isDirectory(folder)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--under (" + folder + ") is not a folder");
      }
      roots.add(folder.toAbsolutePath().normalize());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (autoResume) {
      // Before the host is opened: the rehearsal runs commands of its own in this JVM.
      if (!SessionRehearsal.run(HostHome.locate(), err, "carryon watch")) {
        return ExitCodes.INTERRUPTED; // stopped while it rehearsed: it never watches
      }
    }
    Optional<DesktopNotifier> notifier =
        noNotify ? Optional.empty() : DesktopNotifier.find(System.getenv());
    AtomicReference<Watch> running = new AtomicReference<>();
    try (Host host = Host.open();
        Watch watch =
            new Watch(
                host,
                new Watch.Settings(roots, autoResume),
                event -> {
                  out.println(json ? json(event) : event.text());
                  out.flush();
                  if (out.checkError()) {
                    running.get().stop(); // the reader of the events is gone (a closed pipe)
                  }
                  WatchEvent.Notification n = event.notification();
                  if (n != null) {
                    notifier.ifPresent(d -> d.show(n));
                  }
                },
                err,
                new UsbHotplug(),
                new PhoneWatch(Adb.onPath(), new Pairings(host.home().phones())))) {
      running.set(watch);
      Interrupts.onInterrupt(watch::stop);
      try {
        watch.run();
      } catch (HostLacksException e) {
        throw new CarryonException(ExitCodes.ENVIRONMENT, e.getMessage(), e);
      }
    }
    return ExitCodes.OK;
  }

  private static String json(WatchEvent event) {
    StringWriter text = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(text)) {
      g.writeStartObject();
      event.writeJson(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return text.toString();
  }
}
