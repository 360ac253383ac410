package dev.carryon.launcher.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The files a JVM's code comes from (its class path's jars), each with its modification time, as
 * they were when noted: a long-lived process (the host agent) stops once carryon is rebuilt or
 * upgraded under it, rather than run old code for new commands.
 */
final class ClassPathStamp {
  private final Map<Path, FileTime> stamps;

  private ClassPathStamp(Map<Path, FileTime> stamps) {
    this.stamps = stamps;
  }

  /** This JVM's class path as it is now. */
  static ClassPathStamp ofThisJvm() {
    return of(System.getProperty("java.class.path"));
  }

  /** The files of {@code classPath} (entries separated by the platform's separator) as they are now. */
  static ClassPathStamp of(String classPath) {
    Map<Path, FileTime> stamps = new LinkedHashMap<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (!entry.isEmpty() && Files.isRegularFile(p)) {
        stamps.put(p, time(p));
      }
    }
    return new ClassPathStamp(stamps);
  }

  /** The first file that is gone or was modified since noted; empty when none was. */
  Optional<Path> changed() {
    for (Map.Entry<Path, FileTime> e : stamps.entrySet()) {
      if (!e.getValue().equals(time(e.getKey()))) {
        return Optional.of(e.getKey());
      }
    }
    return Optional.empty();
  }

  private static FileTime time(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return FileTime.fromMillis(-1); // gone: differs from any time it had
    }
  }
}
