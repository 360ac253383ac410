package dev.carryon.cow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritePointsTest {
  @TempDir Path dir;

  @AfterEach
  void unwatch() {
    WritePoints.watch(null);
  }

  @Test
  void countsOnlyPathsUnderTheWatchedRoot() {
    WritePoints.watch(dir.resolve("carrier"));
    WritePoints.reach(dir.resolve("carrier/cow.qcow2"), "write");
    WritePoints.reach(dir.resolve("carrier/../carrier/x"), "rename");
    WritePoints.reach(dir.resolve("host/work.qcow2"), "write");
    WritePoints.reach(dir.resolve("carrier-other/y"), "write");
    assertEquals(2, WritePoints.reached());
  }

  @Test
  void countsNothingWhenNotWatching() {
    WritePoints.watch(null);
    WritePoints.reach(dir.resolve("a"), "write");
    assertEquals(0, WritePoints.reached());
  }
}
