package dev.carryon.launcher.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {
  @TempDir Path dir;

  /** Half random pages, half zero pages, like a guest's RAM; big enough for several zstd jobs. */
  private static byte[] state(int bytes) {
    byte[] state = new byte[bytes];
    Random random = new Random(7);
    byte[] page = new byte[4096];
    for (int i = 0; i < state.length; i += 4096) {
      if ((i / 4096) % 2 == 0) {
        random.nextBytes(page);
        System.arraycopy(page, 0, state, i, Math.min(4096, state.length - i));
      }
    }
    return state;
  }

  private Path write(String name, byte[] state) throws IOException {
    Path file = dir.resolve(name);
    try (WritableByteChannel out = StateFile.create(file)) {
      // heap and direct buffers, odd sizes, as a socket hands them over
      out.write(ByteBuffer.wrap(state, 0, 1000));
      ByteBuffer direct = ByteBuffer.allocateDirect(3 << 20);
      direct.put(state, 1000, direct.capacity()).flip();
      assertEquals(3 << 20, out.write(direct));
      assertFalse(direct.hasRemaining());
      int from = 1000 + (3 << 20);
      assertEquals(state.length - from, out.write(ByteBuffer.wrap(state, from, state.length - from)));
    }
    return file;
  }

  private static byte[] readAll(ReadableByteChannel in, ByteBuffer buffer) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (int n; (n = in.read(buffer.clear())) >= 0; ) {
      assertTrue(n > 0, "a read makes progress");
      buffer.flip();
      byte[] chunk = new byte[buffer.remaining()];
      buffer.get(chunk);
      all.write(chunk);
    }
    return all.toByteArray();
  }

  @Test
  void roundTripsAndCompresses() throws IOException {
    byte[] state = state(12 << 20);
    Path file = write("S1.zst", state);
    assertTrue(Files.size(file) < state.length * 6L / 10, "compressed: " + Files.size(file));
    try (ReadableByteChannel in = StateFile.open(Files.newInputStream(file), file.toString())) {
      assertArrayEquals(state, readAll(in, ByteBuffer.allocateDirect(1 << 20)));
      assertEquals(-1, in.read(ByteBuffer.allocateDirect(10)), "still at its end");
    }
    try (ReadableByteChannel in = StateFile.open(Files.newInputStream(file), file.toString())) {
      assertArrayEquals(state, readAll(in, ByteBuffer.allocate(70_000)), "into heap buffers");
    }
  }

  @Test
  void theFirstMebibyteOfASaveIsInTheFileBeforeTheSaveGoesOn() throws IOException {
    byte[] state = state(12 << 20);
    Path file = dir.resolve("S1.zst");
    try (WritableByteChannel out = StateFile.create(file)) {
      ByteBuffer first = ByteBuffer.allocateDirect(1 << 20);
      out.write(first.put(state, 0, first.capacity()).flip());
      // zstd's workers would hold it until a job of several MiB is in: an end over a link sends
      // the state as it is written
      assertTrue(Files.size(file) > 0, "compressed bytes of the first MiB are in the file");
      out.write(ByteBuffer.wrap(state, 1 << 20, state.length - (1 << 20)));
    }
    try (ReadableByteChannel in = StateFile.open(Files.newInputStream(file), file.toString())) {
      assertArrayEquals(state, readAll(in, ByteBuffer.allocateDirect(1 << 20)));
    }
  }

  @Test
  void anEmptyStateRoundTrips() throws IOException {
    Path file = dir.resolve("S0.zst");
    StateFile.create(file).close();
    try (ReadableByteChannel in = StateFile.open(Files.newInputStream(file), file.toString())) {
      assertEquals(-1, in.read(ByteBuffer.allocateDirect(10)));
    }
  }

  @Test
  void closeEndsTheFrameOnceAndThenRefusesWrites() throws IOException {
    Path file = dir.resolve("S1.zst");
    WritableByteChannel out = StateFile.create(file);
    out.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    out.close();
    long size = Files.size(file);
    out.close();
    assertEquals(size, Files.size(file), "a second close adds nothing");
    assertFalse(out.isOpen());
    assertThrows(ClosedChannelException.class, () -> out.write(ByteBuffer.allocate(1)));
  }

  @Test
  void neverOverwritesAState() throws IOException {
    Path file = dir.resolve("S1.zst");
    Files.write(file, new byte[] {1});
    assertThrows(FileAlreadyExistsException.class, () -> StateFile.create(file));
    assertArrayEquals(new byte[] {1}, Files.readAllBytes(file));
  }

  @Test
  void aFileThatIsNotZstdIsNamed() throws IOException {
    Path file = dir.resolve("S2.zst");
    Files.writeString(file, "QEVM this is a raw migration stream, not compressed");
    IOException e = assertThrows(IOException.class, () -> StateFile.open(Files.newInputStream(file), file.toString()));
    assertEquals("hibernation state " + file + " is not a zstd stream (bad magic)", e.getMessage());
    Files.write(file, new byte[] {0x28, (byte) 0xB5});
    e = assertThrows(IOException.class, () -> StateFile.open(Files.newInputStream(file), file.toString()));
    assertTrue(e.getMessage().endsWith("is not a zstd stream (bad magic)"), e.getMessage());
  }

  @Test
  void aStateCutShortFailsToRead() throws IOException {
    Path file = write("S3.zst", state(5 << 20));
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      c.truncate(c.size() - 100);
    }
    try (ReadableByteChannel in = StateFile.open(Files.newInputStream(file), file.toString())) {
      IOException e = assertThrows(IOException.class, () -> readAll(in, ByteBuffer.allocateDirect(1 << 20)));
      assertEquals(
          "hibernation state " + file + " is truncated: it ends inside its zstd frame", e.getMessage());
    }
  }

  @Test
  void aDamagedStateFailsToRead() throws IOException {
    Path file = write("S4.zst", state(5 << 20));
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(64);
      c.read(b, c.size() / 2);
      for (int i = 0; i < b.capacity(); i++) {
        b.put(i, (byte) ~b.get(i));
      }
      c.write(b.flip(), c.size() / 2);
    }
    try (ReadableByteChannel in = StateFile.open(Files.newInputStream(file), file.toString())) {
      IOException e = assertThrows(IOException.class, () -> readAll(in, ByteBuffer.allocateDirect(1 << 20)));
      assertTrue(e.getMessage().startsWith("hibernation state " + file + " is damaged: zstd says "), e.getMessage());
    }
  }
}
