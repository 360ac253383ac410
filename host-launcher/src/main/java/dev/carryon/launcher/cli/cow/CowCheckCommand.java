package dev.carryon.launcher.cli.cow;

import dev.carryon.cow.CheckReport;
import dev.carryon.cow.Checker;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.cli.SpecCommand;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code carryon cow check}: refcounts against actual use, like qemu-img check. */
final class CowCheckCommand implements Callable<Integer>, SpecCommand {
  private final CommandSpec spec = SpecCommand.command(this, "check",
      "Check an image's refcounts; exit 0 when clean, " + ExitCodes.REFUSED
          + " when corruptions or leaks are found, " + ExitCodes.BAD_INPUT + " when unreadable.");

  private final PositionalParamSpec image = SpecCommand.parameter(spec, "IMAGE", Path.class);

  private final OptionSpec json = SpecCommand.flag(spec, "--json", "JSON like qemu-img check --output=json.");

  private final OptionSpec repairLeaks = SpecCommand.flag(spec, "--repair-leaks", "Lower leaked refcounts (only when nothing worse is found).");

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

  boolean repairLeaks() {
    return repairLeaks.getValue();
  }

  @Override
  public Integer call() throws Exception {
    CheckReport r = CowErrors.call(() -> Checker.check(image(), repairLeaks()));
    PrintWriter out = spec.commandLine().getOut();
    if (json()) {
      out.println(CowJson.write(true, g -> {
        g.writeStartObject();
        g.writeNumberField("image-end-offset", r.imageEndOffset());
        g.writeNumberField("total-clusters", r.totalClusters());
        g.writeNumberField("check-errors", r.checkErrors());
        g.writeNumberField("corruptions", r.corruptions());
        g.writeNumberField("leaks", r.leaks());
        g.writeNumberField("corruptions-fixed", r.corruptionsFixed());
        g.writeNumberField("leaks-fixed", r.leaksFixed());
        g.writeNumberField("allocated-clusters", r.allocatedClusters());
        g.writeNumberField("fragmented-clusters", r.fragmentedClusters());
        g.writeNumberField("compressed-clusters", r.compressedClusters());
        g.writeStringField("filename", r.filename());
        g.writeStringField("format", r.format());
        g.writeArrayFieldStart("messages");
        for (String m : r.messages()) {
          g.writeString(m);
        }
        g.writeEndArray();
        g.writeEndObject();
      }));
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
