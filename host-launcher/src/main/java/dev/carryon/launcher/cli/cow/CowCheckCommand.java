package dev.carryon.launcher.cli.cow;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.cow.CheckReport;
import dev.carryon.cow.Checker;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code carryon cow check}: refcounts against actual use, like qemu-img check. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = "Check an image's refcounts; exit 0 when clean, " + ExitCodes.REFUSED
        + " when corruptions or leaks are found, " + ExitCodes.BAD_INPUT + " when unreadable.")
final class CowCheckCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "IMAGE")
  Path image;

  @Option(names = "--json", description = "JSON like qemu-img check --output=json.")
  boolean json;

  @Option(names = "--repair-leaks", description = "Lower leaked refcounts (only when nothing worse is found).")
  boolean repairLeaks;

  @Override
  public Integer call() throws Exception {
    CheckReport r = CowErrors.call(() -> Checker.check(image, repairLeaks));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode n = mapper.createObjectNode();
      n.put("image-end-offset", r.imageEndOffset()).put("total-clusters", r.totalClusters())
          .put("check-errors", r.checkErrors()).put("corruptions", r.corruptions()).put("leaks", r.leaks())
          .put("corruptions-fixed", r.corruptionsFixed()).put("leaks-fixed", r.leaksFixed())
          .put("allocated-clusters", r.allocatedClusters()).put("fragmented-clusters", r.fragmentedClusters())
          .put("compressed-clusters", r.compressedClusters()).put("filename", r.filename()).put("format", r.format());
      r.messages().forEach(n.putArray("messages")::add);
      out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    } else {
      r.messages().forEach(out::println);
      if (r.leaksFixed() > 0) {
        out.println(r.leaksFixed() + " leaked clusters were repaired.");
      }
      out.println(r.isClean()
          ? "No errors were found on the image."
          : r.corruptions() + " corruptions and " + r.leaks() + " leaked clusters were found on the image.");
      out.println(r.allocatedClusters() + "/" + r.totalClusters() + " clusters allocated, "
          + r.compressedClusters() + " compressed; image end offset: " + r.imageEndOffset());
    }
    out.flush();
    return r.isClean() ? ExitCodes.OK : ExitCodes.REFUSED;
  }
}
