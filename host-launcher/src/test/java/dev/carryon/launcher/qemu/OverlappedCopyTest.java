package dev.carryon.launcher.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OverlappedCopyTest {
  private static final String NAME = "overlapped-copy-test";

  /** A channel always open, whose close does nothing: the copy closes neither of its sides. */
  private abstract static class AlwaysOpen implements Channel {
    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  /** Gives {@code data} in reads of at most {@code most} bytes, then fails with {@code end}. */
  private static ReadableByteChannel source(byte[] data, int most, RuntimeException failure, IOException end) {
    class Source extends AlwaysOpen implements ReadableByteChannel {
      private int at;

      @Override
      public int read(ByteBuffer dst) throws IOException {
        if (at == data.length) {
          if (failure != null) {
            throw failure;
          }
          if (end != null) {
            throw end;
          }
          return -1;
        }
        int n = Math.min(Math.min(most, dst.remaining()), data.length - at);
        dst.put(data, at, n);
        at += n;
        return n;
      }
    }
    return new Source();
  }

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  private static boolean readerAlive() {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(NAME));
  }

  @Test
  void copiesEveryByteInOrderWhateverTheReadsSizes() throws IOException {
    for (int size : new int[] {0, 1, (1 << 20) - 1, 1 << 20, 9 * (1 << 20) + 12345}) {
      byte[] data = random(size);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long copied = OverlappedCopy.copy(source(data, 100_003, null, null), Channels.newChannel(out), NAME);
      assertEquals(size, copied, "bytes of " + size);
      assertArrayEquals(data, out.toByteArray(), "contents of " + size);
    }
    assertFalse(readerAlive());
  }

  @Test
  void aFailedReadIsTheCopysFailureAfterWhatCameBefore() {
    byte[] data = random(3 * (1 << 20) + 7);
    IOException bad = new IOException("hibernation state S2.zst: chunk 4 fails its check");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    IOException e =
        assertThrows(
            IOException.class,
            () -> OverlappedCopy.copy(source(data, 65536, null, bad), Channels.newChannel(out), NAME));
    assertSame(bad, e);
    // Whole buffers read before the failure went on; the part buffer it cut short did not.
    assertArrayEquals(Arrays.copyOf(data, 3 << 20), out.toByteArray());
    assertFalse(readerAlive());
  }

  @Test
  void aReadsRuntimeFailureComesThroughAsItIs() {
    IllegalStateException bad = new IllegalStateException("zstd: corrupted block");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> OverlappedCopy.copy(
                source(random(10), 10, bad, null), Channels.newChannel(new ByteArrayOutputStream()), NAME));
    assertSame(bad, e);
  }

  @Test
  void aFailedWriteStopsTheReaderAndIsTheCopysFailure() {
    IOException refused = new IOException("Broken pipe");
    int[] writes = {0};
    class QemuGone extends AlwaysOpen implements WritableByteChannel {
      @Override
      public int write(ByteBuffer src) throws IOException {
        if (++writes[0] == 2) {
          throw refused;
        }
        int n = src.remaining();
        src.position(src.limit());
        return n;
      }
    }
    WritableByteChannel qemuGone = new QemuGone();
    // Far more than the buffers in flight: the reader would wait for a free one forever.
    IOException e =
        assertThrows(
            IOException.class,
            () -> OverlappedCopy.copy(source(random(64 << 20), 1 << 20, null, null), qemuGone, NAME));
    assertSame(refused, e);
    assertEquals(2, writes[0]);
    assertFalse(readerAlive());
  }
}
