package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A class path's jars, noted, tell when one is rebuilt or removed; folders are not looked at. */
class ClassPathStampTest {
  @TempDir Path dir;

  @Test
  void aJarRebuiltOrRemovedIsNamed() throws Exception {
    Path a = Files.writeString(dir.resolve("a.jar"), "a");
    Path b = Files.writeString(dir.resolve("b.jar"), "b");
    ClassPathStamp stamp = ClassPathStamp.of(String.join(File.pathSeparator, a.toString(),
        Files.createDirectories(dir.resolve("classes")).toString(), b.toString(), ""));
    assertEquals(Optional.empty(), stamp.changed());
    Files.writeString(dir.resolve("classes/X.class"), "x"); // a folder's content is not followed
    assertEquals(Optional.empty(), stamp.changed());
    Files.setLastModifiedTime(b, FileTime.fromMillis(Files.getLastModifiedTime(b).toMillis() + 1000));
    assertEquals(Optional.of(b), stamp.changed());
    Files.delete(a);
    assertEquals(Optional.of(a), stamp.changed());
  }
}
