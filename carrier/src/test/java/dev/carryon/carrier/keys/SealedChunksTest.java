package dev.carryon.carrier.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.testdata.ByteSearch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sealed streams: what was written reads back; anything altered, moved or cut is refused. */
class SealedChunksTest {
  private static final byte[] KEY = new byte[32];
  private static final int HEADER = 36;
  private static final int SEALED_CHUNK = SealedChunks.CHUNK + 16;

  private static byte[] plain(int length) {
    byte[] b = new byte[length];
    new Random(length).nextBytes(b);
    return b;
  }

  private static byte[] seal(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream s = SealedChunks.seal(out, KEY)) {
      // in uneven pieces, as zstd hands them over
      for (int at = 0; at < plain.length; at += 70_001) {
        s.write(plain, at, Math.min(70_001, plain.length - at));
      }
    }
    return out.toByteArray();
  }

  private static byte[] open(byte[] sealed, byte[] key) throws IOException {
    try (InputStream in = SealedChunks.open(new ByteArrayInputStream(sealed), key, "S2")) {
      return in.readAllBytes();
    }
  }

  @Test
  void whatWasSealedReadsBackAtEveryLengthAroundAChunk() throws IOException {
    for (int length : new int[] {0, 1, SealedChunks.CHUNK - 1, SealedChunks.CHUNK,
        SealedChunks.CHUNK + 1, 2 * SealedChunks.CHUNK, 2 * SealedChunks.CHUNK + 5}) {
      byte[] p = plain(length);
      byte[] sealed = seal(p);
      int chunks = Math.max(1, (length + SealedChunks.CHUNK - 1) / SealedChunks.CHUNK);
      assertEquals(HEADER + (long) chunks * 16 + length, sealed.length, "length " + length);
      assertArrayEquals(p, open(sealed, KEY), "length " + length);
    }
  }

  /**
   * Chunks are sealed side by side ({@link SealedChunks#SEALERS} threads) but written in order:
   * a stream of many chunks, some sealed faster than the one before, reads back whole, and its
   * sealed chunks stand where their numbers say.
   */
  @Test
  void chunksSealedSideBySideAreWrittenInOrder() throws IOException {
    byte[] p = plain(13 * SealedChunks.CHUNK + 3);
    byte[] sealed = seal(p);
    assertArrayEquals(p, open(sealed, KEY));
    assertEquals(HEADER + 14L * 16 + p.length, sealed.length);
  }

  /** A sink that fails (a full disk) fails the writer with its reason, and nothing hangs. */
  @Test
  void aSinkThatFailsFailsTheWriter() {
    OutputStream full = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (len > HEADER) {
          throw new IOException("No space left on device");
        }
      }
    };
    IOException e = assertThrows(IOException.class, () -> {
      try (OutputStream s = SealedChunks.seal(full, KEY)) {
        byte[] p = plain(SealedChunks.CHUNK);
        for (int i = 0; i < 8; i++) {
          s.write(p);
        }
      }
    });
    assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
  }

  @Test
  void twoSealsOfOneStreamDifferAndHideIt() throws IOException {
    byte[] p = new byte[4096];
    Arrays.fill(p, (byte) 'A');
    byte[] a = seal(p);
    byte[] b = seal(p);
    assertTrue(!Arrays.equals(a, b), "a fresh stream id each time");
    assertEquals(-1, ByteSearch.indexOf(a, "AAAAAAAA".getBytes()), "no plaintext run in the sealed bytes");
  }

  @Test
  void aFlippedByteAWrongKeyAndBytesAfterTheEndAreRefused() throws IOException {
    byte[] sealed = seal(plain(SealedChunks.CHUNK + 1000));
    byte[] flipped = sealed.clone();
    flipped[HEADER + SEALED_CHUNK + 10] ^= 1;
    assertEquals("S2: chunk 1 fails its check (altered, moved, or the stream was cut after it);"
        + " refused", assertThrows(IOException.class, () -> open(flipped, KEY)).getMessage());
    byte[] other = new byte[32];
    other[0] = 1;
    assertTrue(assertThrows(IOException.class, () -> open(sealed, other)).getMessage()
        .startsWith("S2: chunk 0 fails its check"));
    byte[] longer = Arrays.copyOf(sealed, sealed.length + 1);
    assertThrows(IOException.class, () -> open(longer, KEY));
    byte[] header = sealed.clone();
    header[0] = 'X';
    assertEquals("S2: not an encrypted carrier's sealed stream (bad header)",
        assertThrows(IOException.class, () -> open(header, KEY)).getMessage());
  }

  @Test
  void aStreamCutAnywhereIsRefused() throws IOException {
    byte[] sealed = seal(plain(2 * SealedChunks.CHUNK + 1000));
    // at a chunk boundary (the last whole chunk was not sealed as the final one), inside a chunk,
    // inside a tag, inside the header
    for (int length : new int[] {HEADER + SEALED_CHUNK, HEADER + 2 * SEALED_CHUNK,
        HEADER + SEALED_CHUNK + 500, sealed.length - 1, HEADER + 5, 10}) {
      byte[] cut = Arrays.copyOf(sealed, length);
      assertThrows(IOException.class, () -> open(cut, KEY), "cut at " + length);
    }
  }

  @Test
  void chunksSwappedAreRefused() throws IOException {
    byte[] sealed = seal(plain(3 * SealedChunks.CHUNK));
    byte[] swapped = sealed.clone();
    System.arraycopy(sealed, HEADER, swapped, HEADER + SEALED_CHUNK, SEALED_CHUNK);
    System.arraycopy(sealed, HEADER + SEALED_CHUNK, swapped, HEADER, SEALED_CHUNK);
    assertTrue(assertThrows(IOException.class, () -> open(swapped, KEY)).getMessage()
        .startsWith("S2: chunk 0 fails its check"));
  }

  @Test
  void nothingOfABadChunkIsHandedOn() throws IOException {
    byte[] p = plain(SealedChunks.CHUNK + 1000);
    byte[] sealed = seal(p);
    sealed[sealed.length - 1] ^= 1; // the last chunk's tag
    try (InputStream in = SealedChunks.open(new ByteArrayInputStream(sealed), KEY, "S2")) {
      byte[] first = in.readNBytes(SealedChunks.CHUNK);
      assertArrayEquals(Arrays.copyOf(p, SealedChunks.CHUNK), first);
      assertThrows(IOException.class, () -> in.read(new byte[1]));
    }
  }

  @Test
  void formatOneIsRefusedByName() throws IOException {
    byte[] old = seal(plain(100));
    System.arraycopy("CARRYON-SEALED-1".getBytes(), 0, old, 0, 16);
    assertEquals("S2: sealed in format 1 (AES-GCM), which this carryon no longer reads (it writes"
        + " format 2, ChaCha20-Poly1305)",
        assertThrows(IOException.class, () -> open(old, KEY)).getMessage());
  }
}
