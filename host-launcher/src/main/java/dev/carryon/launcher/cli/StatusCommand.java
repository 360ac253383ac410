package dev.carryon.launcher.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.Lease;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.VmConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code carryon status}: what a carrier holds, read without writing anything. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show a carrier's current generation, lease holder, checkpoints and sizes.")
final class StatusCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CARRIER", description = "The carrier folder.")
  Path carrier;

  @Option(names = "--json", description = "Print JSON: generation, session (null when none), disk (the current chain's top image), cpu_portable, devices, cow_bytes, checkpoints (each with its machine_type, the qemu version and accel that made it, null when not recorded, and its screenshot, null when none).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (Carrier c = Carrier.open(carrier)) {
      Manifest m = c.manifest();
      List<Path> chain = c.chainFiles(c.current());
      Path top = chain.get(chain.size() - 1);
      long cowBytes = 0;
      for (Path image : chain.subList(1, chain.size())) {
        cowBytes += Files.size(image);
      }
      if (json) {
        out.println(json(c, m, top, cowBytes));
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
        if (m.pending() != null) {
          out.printf("  pending: merge %s into %s (finished by the next command that writes)%n", m.pending().layer(), m.pending().into());
        }
        out.println("  checkpoints:");
        for (Generation g : c.checkpoints()) {
          out.printf(
              "    %s%-4d %s  %s%s; %s%n",
              g.number() == m.currentGeneration() ? "*" : " ", g.number(), g.created(),
              g.coldBoot() ? "no RAM state (cold boot)" : "RAM state " + sizeOf(c, g) + " bytes",
              g.parent() == null ? "" : ", from " + g.parent(),
              g.qemu() == null
                  ? g.machineType(m.vm()) + ", QEMU not recorded"
                  : g.qemu().machineType() + ", QEMU " + g.qemu().version() + ", " + g.qemu().accel());
          if (g.screenshot() != null) {
            out.printf("          screen as saved: %s%n", c.file(g.screenshot()));
          }
        }
      }
    }
    out.flush();
    return ExitCodes.OK;
  }

  private static String sizeOf(Carrier c, Generation g) throws IOException {
    return String.format("%,d", Files.size(c.stateFile(g)));
  }

  private static String json(Carrier c, Manifest m, Path top, long cowBytes) throws IOException {
    StringWriter text = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(text)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeStringField("carrier", c.folder().toString());
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
      g.writeStringField("disk", top.toString());
      g.writeBooleanField("cpu_portable", m.vm().cpuPortable());
      g.writeArrayFieldStart("devices");
      for (String d : m.vm().extraDevices()) {
        g.writeString(d);
      }
      g.writeEndArray();
      g.writeNumberField("cow_bytes", cowBytes);
      g.writeNumberField("base_bytes", Files.size(c.chainFiles(c.current()).get(0)));
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
          g.writeStringField("screenshot", c.file(gen.screenshot()).toString());
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
          g.writeStringField("state", c.stateFile(gen).toString());
          g.writeNumberField("state_bytes", Files.size(c.stateFile(gen)));
        }
        g.writeArrayFieldStart("chain");
        for (String name : gen.chain()) {
          g.writeString(name);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeBooleanField("pending", m.pending() != null);
      g.writeEndObject();
    }
    return text.toString();
  }
}
