package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressInputStreamTest {
  @Test
  void reportsEveryByteReadAgainstTheTotal() throws IOException {
    List<long[]> seen = new ArrayList<>();
    try (InputStream in =
        new ProgressInputStream(
            new ByteArrayInputStream(new byte[10_000]), 10_000, (done, total) -> seen.add(new long[] {done, total}))) {
      assertEquals(0, in.read());
      assertEquals(4096, in.read(new byte[4096]));
      assertEquals(100, in.skip(100));
      in.readAllBytes();
    }
    assertEquals(1, seen.get(0)[0]);
    assertEquals(4097, seen.get(1)[0]);
    assertEquals(4197, seen.get(2)[0]);
    long[] last = seen.get(seen.size() - 1);
    assertEquals(10_000, last[0]);
    assertEquals(10_000, last[1]);
  }
}
