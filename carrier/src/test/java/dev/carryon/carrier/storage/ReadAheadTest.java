package dev.carryon.carrier.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadAheadTest {
  @TempDir Path dir;

  /** A file of {@code size} random bytes. */
  private Path file(long size) throws IOException {
    byte[] bytes = new byte[(int) size];
    new Random(size).nextBytes(bytes);
    return Files.write(dir.resolve("f" + size), bytes);
  }

  /** Counts the bytes read from the source and whether it was closed. */
  private static final class Counted extends FilterInputStream {
    final AtomicLong read = new AtomicLong();
    final AtomicBoolean closed = new AtomicBoolean();

    Counted(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        read.addAndGet(n);
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      closed.set(true);
      super.close();
    }
  }

  @Test
  void readsTheWholeSourceInOrderAndHoldsNoMoreThanItsBound() throws Exception {
    Path f = file(5 * ReadAhead.PIECE + 12345);
    Counted source = new Counted(Files.newInputStream(f));
    try (ReadAhead ahead = ReadAhead.start(source, "test", 2L * ReadAhead.PIECE)) {
      // Untouched by the reader, the filler fills its queue (2 pieces + the end's room) and one
      // more piece it cannot queue, then waits.
      long bound = 4L * ReadAhead.PIECE;
      for (int i = 0; i < 500 && source.read.get() < 3L * ReadAhead.PIECE; i++) {
        Thread.sleep(10);
      }
      Thread.sleep(200);
      assertTrue(source.read.get() >= 3L * ReadAhead.PIECE, "read ahead: " + source.read.get());
      assertTrue(source.read.get() <= bound, "read past its bound: " + source.read.get());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertEquals(0xff & Files.readAllBytes(f)[0], ahead.read());
      ahead.transferTo(out);
      assertEquals(-1, ahead.read());
      byte[] expected = Files.readAllBytes(f);
      assertArrayEquals(
          java.util.Arrays.copyOfRange(expected, 1, expected.length), out.toByteArray());
    }
    assertTrue(source.closed.get());
  }

  @Test
  void aFailureComesAfterEveryByteBeforeIt() throws Exception {
    Path f = file(3 * ReadAhead.PIECE);
    long failAt = ReadAhead.PIECE + ReadAhead.PIECE / 2;
    InputStream failing =
        new FilterInputStream(Files.newInputStream(f)) {
          long at;

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (at >= failAt) {
              throw new IOException("cable pulled at " + at);
            }
            int n = super.read(b, off, (int) Math.min(len, failAt - at));
            at += Math.max(n, 0);
            return n;
          }
        };
    try (ReadAhead ahead = ReadAhead.start(failing, "test", 8L * ReadAhead.PIECE)) {
      byte[] got = new byte[(int) failAt];
      assertEquals(failAt, ahead.readNBytes(got, 0, got.length));
      assertArrayEquals(java.util.Arrays.copyOf(Files.readAllBytes(f), (int) failAt), got);
      IOException e = assertThrows(IOException.class, ahead::read);
      assertEquals("cable pulled at " + failAt, e.getMessage());
      assertThrows(IOException.class, ahead::read, "the failure again, not an end");
    }
  }

  @Test
  void closeStopsTheFillerAndClosesTheSource() throws Exception {
    Counted endless =
        new Counted(
            new InputStream() {
              @Override
              public int read() {
                return 7;
              }

              @Override
              public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 7);
                return len;
              }
            });
    ReadAhead ahead = ReadAhead.start(endless, "test", 0);
    assertEquals(7, ahead.read());
    ahead.close();
    ahead.filler().join(10_000);
    assertFalse(ahead.filler().isAlive());
    assertTrue(endless.closed.get());
    assertThrows(IOException.class, ahead::read);
  }
}
