package dev.carryon.launcher.cli.cow;

import dev.carryon.cow.Qcow2Creator;
import dev.carryon.launcher.cli.ByteSize;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.cli.SpecCommand;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code carryon cow create}: an empty qcow2 overlay, like qemu-img create -f qcow2 -b -F. */
final class CowCreateCommand implements Callable<Integer>, SpecCommand {
  private final CommandSpec spec = SpecCommand.command(this, "create",
      "Create an empty qcow2 (v3) image, usually an overlay over a backing file.");

  private final OptionSpec backing = SpecCommand.option(spec, OptionSpec.builder("--backing").paramLabel("BASE")
      .required(true).type(String.class)
      .description("Backing file name as recorded (relative names are relative to OUT's folder)."));

  private final OptionSpec backingFormat = SpecCommand.option(spec, OptionSpec.builder("--backing-format")
      .paramLabel("F").type(String.class).description("qcow2 or raw (default: probed)."));

  private final OptionSpec size = SpecCommand.option(spec, OptionSpec.builder("--size").paramLabel("S")
      .type(Long.class).converters(new ByteSize()).description("Virtual size, e.g. 10G (default: the backing file's)."));

  private final OptionSpec clusterSize = SpecCommand.option(spec, OptionSpec.builder("--cluster-size")
      .paramLabel("C").type(long.class).defaultValue("64K").converters(new ByteSize())
      .description("Cluster size, 512 to 2M (default: ${DEFAULT-VALUE})."));

  private final PositionalParamSpec out =
      SpecCommand.parameter(spec, "OUT", Path.class, "The image to create; must not exist.");

  @Override
  public CommandSpec spec() {
    return spec;
  }

  String backing() {
    return backing.getValue();
  }

  String backingFormat() {
    return backingFormat.getValue();
  }

  Long size() {
    return size.getValue();
  }

  long clusterSize() {
    return clusterSize.getValue();
  }

  Path out() {
    return out.getValue();
  }

  @Override
  public Integer call() {
    long virtualSize = size() == null ? -1 : size();
    int clusterSize = (int) Math.min(clusterSize(), Integer.MAX_VALUE);
    CowErrors.call(() -> {
      Qcow2Creator.create(out(), virtualSize, backing(), backingFormat(), clusterSize, 3);
      return null;
    });
    return ExitCodes.OK;
  }
}
