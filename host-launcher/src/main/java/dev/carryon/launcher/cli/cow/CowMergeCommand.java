package dev.carryon.launcher.cli.cow;

import dev.carryon.cow.MergeResult;
import dev.carryon.cow.Merger;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.cli.ProgressBar;
import dev.carryon.launcher.cli.SpecCommand;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code carryon cow merge}: copy one overlay's clusters into a target image. */
final class CowMergeCommand implements Callable<Integer>, SpecCommand {
  private final CommandSpec spec = SpecCommand.command(this, "merge",
      "Merge what TOP itself holds (data and zeros) into TARGET (qcow2 or raw, same virtual size).");

  private final OptionSpec top = SpecCommand.option(spec, OptionSpec.builder("--top").paramLabel("TOP")
      .required(true).type(Path.class).description("The overlay whose clusters are merged."));

  private final OptionSpec target = SpecCommand.option(spec, OptionSpec.builder("--into").paramLabel("TARGET")
      .required(true).type(Path.class).description("The image written to."));

  private final OptionSpec json = SpecCommand.flag(spec, "--json", "Print the summary as JSON.");

  @Override
  public CommandSpec spec() {
    return spec;
  }

  Path top() {
    return top.getValue();
  }

  Path target() {
    return target.getValue();
  }

  boolean json() {
    return json.getValue();
  }

  @Override
  public Integer call() throws Exception {
    Path from = top();
    Path into = target();
    PrintWriter err = spec.commandLine().getErr();
    ProgressBar bar = ProgressBar.on(err, "merging");
    long start = System.nanoTime();
    MergeResult r = CowErrors.call(() -> Merger.merge(from, into, bar::update));
    double seconds = (System.nanoTime() - start) / 1e9;
    bar.finish();
    PrintWriter out = spec.commandLine().getOut();
    if (json()) {
      out.println(CowJson.write(false, g -> {
        g.writeStartObject();
        g.writeStringField("top", from.toString());
        g.writeStringField("target", into.toString());
        g.writeNumberField("bytes_copied", r.bytesCopied());
        g.writeNumberField("bytes_zeroed", r.bytesZeroed());
        g.writeNumberField("extents", r.extents());
        g.writeNumberField("target_bytes_written", r.targetBytesWritten());
        g.writeNumberField("seconds", Math.round(seconds * 1000) / 1000.0);
        g.writeEndObject();
      }));
    } else {
      out.printf("merged %s into %s: %d bytes copied, %d bytes zeroed, %d bytes written in %.2f s%n",
          from, into, r.bytesCopied(), r.bytesZeroed(), r.targetBytesWritten(), seconds);
    }
    out.flush();
    return ExitCodes.OK;
  }
}
