package dev.carryon.launcher.session;

import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.qemu.Spawner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Another carryon JVM, started detached (see {@link Spawner#startDetached}) and as quickly as this
 * one started: a session keeper, the host agent.
 */
public final class CarryonJvm {
  /** The option that has a JVM write the classes it loads to a file. */
  private static final String CLASS_LIST = "-XX:DumpLoadedClassList=";

  /** Children started by this JVM, naming each one's class list apart. */
  private static final AtomicInteger CHILDREN = new AtomicInteger();

  private CarryonJvm() {}

  /**
   * Starts {@code carryon args...} in a JVM of its own with {@code jvmOptions} and this JVM's
   * {@link #startOptions}, stdin from {@code /dev/null}, stdout and stderr appended to {@code log}
   * (made first, its owner's only: the JVM opens redirect files with the umask's mode), {@code env}
   * added to this JVM's environment; returns once it runs.
   */
  public static ProcessHandle startDetached(
      List<String> jvmOptions, List<String> args, Path log, Map<String, String> env)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions);
    // How ./carryon started this JVM. Read from /proc: java.lang.management loads 580 classes (0.1 s).
    command.addAll(startOptions(ProcessHandle.current().info().arguments().orElse(new String[0])));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.carryon.launcher.cli.Main"));
    command.addAll(args);
    if (!Files.exists(log)) {
      OwnerOnly.createFile(log);
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    return Spawner.startDetached(builder, log);
  }

  /**
   * Of a JVM's arguments, those that make its start quick: its class-data archive and how it is
   * mapped, transparent huge pages. A JVM listing the classes it loads for an archive ({@code
   * scripts/cds-classlist.sh}) has its children list theirs beside its list, each in a file of its
   * own (the JVM truncates the file it is given): a session keeper's classes belong in the archive
   * as much as the command's that started it.
   */
  static List<String> startOptions(String... jvmArguments) {
    return Arrays.stream(jvmArguments)
        .filter(
            a ->
                a.startsWith("-XX:SharedArchiveFile=")
                    || a.startsWith("-XX:ArchiveRelocationMode=")
                    || a.equals("-XX:+UnlockDiagnosticVMOptions")
                    || a.equals("-XX:+UseTransparentHugePages")
                    || a.startsWith(CLASS_LIST))
        .map(a -> a.startsWith(CLASS_LIST) ? a + ".child-" + CHILDREN.incrementAndGet() + "-of-"
            + ProcessHandle.current().pid() : a)
        .toList();
  }
}
