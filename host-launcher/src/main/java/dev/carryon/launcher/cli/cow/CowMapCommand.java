package dev.carryon.launcher.cli.cow;

import dev.carryon.cow.Extent;
import dev.carryon.cow.Mapper;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.cli.SpecCommand;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code carryon cow map}: allocation of an image (and its chain), like qemu-img map. */
final class CowMapCommand implements Callable<Integer>, SpecCommand {
  private final CommandSpec spec = SpecCommand.command(this, "map",
      "Print which layer defines each range of the guest disk.");

  private final PositionalParamSpec image = SpecCommand.parameter(spec, "IMAGE", Path.class);

  private final OptionSpec json = SpecCommand.flag(spec, "--json", "JSON like qemu-img map --output=json.");

  private final OptionSpec layerOnly = SpecCommand.flag(spec, "--layer-only", "Map IMAGE alone, not its backing files.");

  @Override
  public CommandSpec spec() {
    return spec;
  }

  Path image() {
    return image.getValue();
  }

  boolean json() {
    return json.getValue();
  }

  boolean layerOnly() {
    return layerOnly.getValue();
  }

  @Override
  public Integer call() throws Exception {
    List<Extent> extents = CowErrors.call(() -> layerOnly() ? Mapper.mapLayer(image()) : Mapper.mapChain(image()));
    PrintWriter out = spec.commandLine().getOut();
    if (json()) {
      out.println(CowJson.write(true, g -> {
        g.writeStartArray();
        for (Extent x : extents) {
          g.writeStartObject();
          g.writeNumberField("start", x.start());
          g.writeNumberField("length", x.length());
          g.writeNumberField("depth", x.depth());
          g.writeBooleanField("present", x.present());
          g.writeBooleanField("zero", x.zero());
          g.writeBooleanField("data", x.data());
          if (x.offset() >= 0) {
            g.writeNumberField("offset", x.offset());
          }
          g.writeEndObject();
        }
        g.writeEndArray();
      }));
    } else {
      out.printf("%-16s %-16s %-5s %s%n", "Offset", "Length", "Depth", "State");
      for (Extent x : extents) {
        String state = !x.present() ? "unallocated" : x.zero() ? "zero" : x.offset() >= 0 ? "data @" + x.offset() : "data";
        out.printf("0x%-14x 0x%-14x %-5d %s%n", x.start(), x.length(), x.depth(), state);
      }
    }
    out.flush();
    return ExitCodes.OK;
  }
}
