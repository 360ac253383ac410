package dev.carryon.launcher.qemu;

import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The QEMU programs carryon runs, and where to find them: an environment variable first, then a
 * system property, then {@code PATH}.
 */
public enum QemuTool {
  SYSTEM("qemu-system-x86_64", "CARRYON_QEMU", "carryon.qemu", "qemu-system-x86"),
  IMG("qemu-img", "CARRYON_QEMU_IMG", "carryon.qemu-img", "qemu-utils");

  /** File name looked up on {@code PATH}. */
  private final String fileName;
  /** Environment variable naming the program's path. */
  private final String envVar;
  /** System property naming the program's path (tests set it in-process). */
  private final String property;
  /** Debian package that installs the program, for the error message. */
  private final String debianPackage;

  QemuTool(String fileName, String envVar, String property, String debianPackage) {
    this.fileName = fileName;
    this.envVar = envVar;
    this.property = property;
    this.debianPackage = debianPackage;
  }

  public String fileName() {
    return fileName;
  }

  /**
   * The program's path on this host.
   *
   * @throws CarryonException with {@link ExitCodes#ENVIRONMENT} when it is not installed
   */
  public Path locate() {
    return locate(System.getenv(), System.getProperties());
  }

  Path locate(Map<String, String> env, Properties props) {
    String chosen = env.get(envVar);
    String source = envVar;
    if (chosen == null || chosen.isEmpty()) {
      chosen = props.getProperty(property);
      source = "system property " + property;
    }
    if (chosen != null && !chosen.isEmpty()) {
      Path path = Path.of(chosen);
      if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
        throw notInstalled(chosen + " from " + source + " is not an executable file");
      }
      return path;
    }
    String searchPath = env.getOrDefault("PATH", "");
    for (String dir : searchPath.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, fileName);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw notInstalled(fileName + " not found on PATH");
  }

  private CarryonException notInstalled(String why) {
    String what = this == SYSTEM ? "QEMU" : "QEMU's " + fileName;
    return new CarryonException(
        ExitCodes.ENVIRONMENT,
        what + " is not installed (" + why + "); install Debian's " + debianPackage);
  }
}
