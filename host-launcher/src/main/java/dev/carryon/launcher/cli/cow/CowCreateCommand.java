package dev.carryon.launcher.cli.cow;

import dev.carryon.cow.Qcow2Creator;
import dev.carryon.launcher.cli.ByteSize;
import dev.carryon.launcher.cli.ExitCodes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code carryon cow create}: an empty qcow2 overlay, like qemu-img create -f qcow2 -b -F. */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = "Create an empty qcow2 (v3) image, usually an overlay over a backing file.")
final class CowCreateCommand implements Callable<Integer> {
  @Option(names = "--backing", paramLabel = "BASE", required = true,
      description = "Backing file name as recorded (relative names are relative to OUT's folder).")
  String backing;

  @Option(names = "--backing-format", paramLabel = "F", description = "qcow2 or raw (default: probed).")
  String backingFormat;

  @Option(names = "--size", paramLabel = "S", converter = ByteSize.class,
      description = "Virtual size, e.g. 10G (default: the backing file's).")
  Long size;

  @Option(names = "--cluster-size", paramLabel = "C", defaultValue = "64K", converter = ByteSize.class,
      description = "Cluster size, 512 to 2M (default: ${DEFAULT-VALUE}).")
  long clusterSize;

  @Parameters(paramLabel = "OUT", description = "The image to create; must not exist.")
  Path out;

  @Override
  public Integer call() {
    long virtualSize = size == null ? -1 : size;
    CowErrors.call(() -> {
      Qcow2Creator.create(out, virtualSize, backing, backingFormat, (int) Math.min(clusterSize, Integer.MAX_VALUE), 3);
      return null;
    });
    return ExitCodes.OK;
  }
}
