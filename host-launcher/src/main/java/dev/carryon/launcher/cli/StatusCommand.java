package dev.carryon.launcher.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.Lease;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.storage.CarrierStorage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
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

  @Option(names = "--json", description = "Print JSON: generation, session (null when none), disk (the current chain's top image), cow_bytes, checkpoints.")
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
      if (json) {
        out.println(json(c, m, top, cowBytes));
      } else {
        out.printf("carrier %s (%s)%n", carrier, m.carrierId());
        out.printf("  vm: %s, cpu %s, %d MiB, %d CPU(s)%n", m.vm().machineType(), m.vm().cpuModel(), m.vm().memoryMiB(), m.vm().cpus());
        out.printf("  generation %d; disk %s; COW and layers %,d bytes%n", m.currentGeneration(), top, cowBytes);
        Lease lease = m.lease();
        out.printf("  session: %s%n", lease == null ? "none" : lease.describe());
        if (m.unfinishedWork() != null) {
          out.printf("  pending: %s (finished by the next command that writes)%n", m.unfinishedWork());
        }
        out.println("  checkpoints:");
        for (Generation g : c.checkpoints()) {
          out.printf(
              "    %s%-4d %s  %s%s%n",
              g.number() == m.currentGeneration() ? "*" : " ", g.number(), g.created(),
              g.coldBoot()
                  ? "no RAM state (cold boot)"
                  : String.format("RAM state %,d bytes", bytesOf(m, g.state())),
              g.parent() == null ? "" : ", from " + g.parent());
        }
      }
    }
    out.flush();
    return ExitCodes.OK;
  }

  /** The size of carrier file {@code name} as the manifest records it. */
  private static long bytesOf(Manifest m, String name) {
    return m.files().get(name).size();
  }

  private static String json(Carrier c, Manifest m, String top, long cowBytes) throws IOException {
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
      g.writeStringField("disk", top);
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
