package dev.carryon.launcher.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.Lease;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.VmConfig;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.SessionKeeper;
import dev.carryon.launcher.watch.UnplugAdvice;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code carryon status}: what a carrier holds, read without writing anything. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show a carrier's current generation, lease holder, checkpoints and sizes.")
final class StatusCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin CarrierArg carrier;

  @Mixin PassphraseOption passphrase;

  @Option(names = "--json", description = "Print JSON: generation, session (null when none), unplug ({safe, why}: may the carrier be unplugged now), keeper (null unless this host runs a session on the carrier: {pid, alive, hoard_remaining, hoard_total: bytes of the chain left to copy onto this host, unpluggable: true once all of it is here, so the guest no longer needs the carrier until end, problems: chunks that failed their hash}), disk (the current chain's top image), cpu_portable, devices, cow_bytes, checkpoints (each with its machine_type, the qemu version and accel that made it, null when not recorded, and its screenshot, null when none).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (CarrierStorage storage = carrier.open();
        Carrier c = Carrier.open(storage)) {
      Manifest m = c.manifest();
      List<String> chain = c.current().chain();
      String top = c.describe(c.current().top());
      long cowBytes = 0;
      for (String image : chain.subList(1, chain.size())) {
        cowBytes += bytesOf(m, image);
      }
      Optional<SessionKeeper.Seen> keeper = keeperHere(m);
      UnplugAdvice unplug =
          carrier.folder().isPresent()
              ? UnplugAdvice.of(carrier.folder().get(), m.carrierId().toString(), m.lease())
              : UnplugAdvice.NOT_A_DRIVE;
      if (json) {
        out.println(json(c, m, top, cowBytes, unplug, keeper.orElse(null)));
      } else {
        out.printf("carrier %s (%s)%n", carrier, m.carrierId());
        VmConfig vm = m.vmOf(c.current());
        out.printf(
            "  vm: %s, cpu %s%s, %d MiB, %d CPU(s)%n", vm.machineType(), vm.cpuModel(),
            vm.cpuPortable() ? "" : " (not portable: the guest sees each host's CPU features)",
            vm.memoryMiB(), vm.cpus());
        out.printf("  generation %d; disk %s; COW and layers %,d bytes%n", m.currentGeneration(), top, cowBytes);
        Lease lease = m.lease();
        out.printf("  session: %s%n", lease == null ? "none" : lease.describe());
        out.printf("  unplug: %s: %s%n", unplug.safe() ? "yes" : "not now", unplug.why());
        keeper.ifPresent(k -> out.printf("  %s%n", describe(k)));
        if (m.unfinishedWork() != null) {
          out.printf("  pending: %s (finished by the next command that writes)%n", m.unfinishedWork());
        }
        out.println("  checkpoints:");
        for (Generation g : c.checkpoints()) {
          out.printf(
              "    %s%-4d %s  %s%s; %s%n",
              g.number() == m.currentGeneration() ? "*" : " ", g.number(), g.created(),
              g.coldBoot()
                  ? "no RAM state (cold boot)"
                  : String.format("RAM state %,d bytes", bytesOf(m, g.state())),
              g.parent() == null ? "" : ", from " + g.parent(),
              g.qemu() == null
                  ? g.machineType(m.vm()) + ", QEMU not recorded"
                  : g.qemu().machineType() + ", QEMU " + g.qemu().version() + ", " + g.qemu().accel());
          if (g.screenshot() != null) {
            out.printf("          screen as saved: %s%n", c.describe(g.screenshot()));
          }
        }
      }
    }
    out.flush();
    return ExitCodes.OK;
  }

  /**
   * The session keeper of this host's open session on the carrier, if this host has one: what
   * serves the guest's disk and hoards the chain onto this host.
   */
  private static Optional<SessionKeeper.Seen> keeperHere(Manifest m) throws IOException {
    Optional<HostHome> home = HostHome.existing();
    if (home.isEmpty()) {
      return Optional.empty();
    }
    try (Host host = Host.open(home.get())) {
      Optional<SessionRecord> open = host.catalog().openSession(m.carrierId().toString());
      return open.isEmpty() ? Optional.empty() : SessionKeeper.seen(open.get().workDir());
    }
  }

  /** The keeper in words: alive or not, the hoard's progress, whether the carrier may go. */
  private static String describe(SessionKeeper.Seen k) {
    String hoard =
        k.hoard() == null
            ? "hoard not started"
            : k.hoard().unpluggable()
                ? "hoard done: every chunk of the chain is on this host; the carrier may be"
                    + " unplugged without stopping the guest (plug it back in to end the session)"
                : String.format(
                    "hoard: %,d of %,d bytes left to copy onto this host; the guest still needs the"
                        + " carrier", k.hoard().remaining(), k.hoard().total());
    String state =
        k.alive()
            ? "session keeper: pid " + k.pid() + "; " + hoard
            : "session keeper: not running (pid " + k.pid() + " is gone): the guest gets I/O"
                + " errors for what is not on this host; carryon end still commits";
    return k.problems().isEmpty() ? state : state + "; " + String.join("; ", k.problems());
  }

  /** The size of carrier file {@code name} as the manifest records it. */
  private static long bytesOf(Manifest m, String name) {
    return m.files().get(name).size();
  }

  /**
   * {@code keeper}: null when this host runs no session on the carrier, else {pid, alive,
   * hoard_remaining and hoard_total (null before the hoard starts), unpluggable, problems}.
   */
  private static void writeKeeper(JsonGenerator g, SessionKeeper.Seen k) throws IOException {
    if (k == null) {
      g.writeNullField("keeper");
      return;
    }
    g.writeObjectFieldStart("keeper");
    g.writeNumberField("pid", k.pid());
    g.writeBooleanField("alive", k.alive());
    if (k.hoard() == null) {
      g.writeNullField("hoard_remaining");
      g.writeNullField("hoard_total");
    } else {
      g.writeNumberField("hoard_remaining", k.hoard().remaining());
      g.writeNumberField("hoard_total", k.hoard().total());
    }
    g.writeBooleanField("unpluggable", k.alive() && k.hoard() != null && k.hoard().unpluggable());
    g.writeArrayFieldStart("problems");
    for (String p : k.problems()) {
      g.writeString(p);
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static String json(
      Carrier c, Manifest m, String top, long cowBytes, UnplugAdvice unplug, SessionKeeper.Seen keeper)
      throws IOException {
    StringWriter text = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(text)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeStringField("carrier", c.location());
      g.writeStringField("carrier_id", m.carrierId().toString());
      g.writeNumberField("generation", m.currentGeneration());
      Lease lease = m.lease();
      if (lease == null) {
        g.writeNullField("session");
      } else {
        g.writeObjectFieldStart("session");
        g.writeStringField("id", lease.sessionId());
        g.writeStringField("host_id", lease.hostId());
        g.writeStringField("host_name", lease.hostName());
        g.writeStringField("since", lease.since().toString());
        g.writeEndObject();
      }
      g.writeObjectFieldStart("unplug");
      g.writeBooleanField("safe", unplug.safe());
      g.writeStringField("why", unplug.why());
      g.writeEndObject();
      writeKeeper(g, keeper);
      g.writeStringField("disk", top);
      g.writeBooleanField("cpu_portable", m.vm().cpuPortable());
      g.writeArrayFieldStart("devices");
      for (String d : m.vm().extraDevices()) {
        g.writeString(d);
      }
      g.writeEndArray();
      g.writeNumberField("cow_bytes", cowBytes);
      g.writeNumberField("base_bytes", bytesOf(m, c.current().chain().get(0)));
      g.writeArrayFieldStart("checkpoints");
      for (Generation gen : c.checkpoints()) {
        g.writeStartObject();
        g.writeNumberField("generation", gen.number());
        if (gen.parent() == null) {
          g.writeNullField("parent");
        } else {
          g.writeNumberField("parent", gen.parent());
        }
        g.writeStringField("created", gen.created().toString());
        g.writeBooleanField("current", gen.number() == m.currentGeneration());
        g.writeStringField("machine_type", gen.machineType(m.vm()));
        if (gen.screenshot() == null) {
          g.writeNullField("screenshot");
        } else {
          g.writeStringField("screenshot", c.describe(gen.screenshot()));
        }
        if (gen.qemu() == null) {
          g.writeNullField("qemu");
        } else {
          g.writeObjectFieldStart("qemu");
          g.writeStringField("version", gen.qemu().version());
          g.writeStringField("accel", gen.qemu().accel());
          g.writeEndObject();
        }
        if (gen.coldBoot()) {
          g.writeNullField("state");
        } else {
          g.writeStringField("state", c.describe(gen.state()));
          g.writeNumberField("state_bytes", bytesOf(m, gen.state()));
        }
        g.writeArrayFieldStart("chain");
        for (String name : gen.chain()) {
          g.writeString(name);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeBooleanField("pending", m.unfinishedWork() != null);
      g.writeEndObject();
    }
    return text.toString();
  }
}
