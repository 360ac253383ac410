package dev.carryon.launcher.cli.cow;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.cow.Extent;
import dev.carryon.cow.Mapper;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code carryon cow map}: allocation of an image (and its chain), like qemu-img map. */
@Command(
    name = "map",
    mixinStandardHelpOptions = true,
    description = "Print which layer defines each range of the guest disk.")
final class CowMapCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "IMAGE")
  Path image;

  @Option(names = "--json", description = "JSON like qemu-img map --output=json.")
  boolean json;

  @Option(names = "--layer-only", description = "Map IMAGE alone, not its backing files.")
  boolean layerOnly;

  @Override
  public Integer call() throws Exception {
    List<Extent> extents = CowErrors.call(() -> layerOnly ? Mapper.mapLayer(image) : Mapper.mapChain(image));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectMapper mapper = new ObjectMapper();
      ArrayNode array = mapper.createArrayNode();
      for (Extent x : extents) {
        ObjectNode n = array.addObject();
        n.put("start", x.start()).put("length", x.length()).put("depth", x.depth())
            .put("present", x.present()).put("zero", x.zero()).put("data", x.data());
        if (x.offset() >= 0) {
          n.put("offset", x.offset());
        }
      }
      out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array));
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
