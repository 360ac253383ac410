package dev.carryon.launcher.session;

import dev.carryon.testdata.fuzz.Field;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Seed;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Fuzzes the hibernation state file's framing ({@link StateFile#open} and reading the stream to
 * its end): one zstd frame, written by carryon itself in the seeds. Reading stops after
 * {@link #READ_LIMIT} bytes, as QEMU would reject a stream long before (a small file may inflate
 * without end). The documented refusal is an {@link IOException} whose message starts with
 * "hibernation state FILE".
 */
public final class StateFileFuzzTarget implements FuzzTarget {
  static final String FILE = "state.zst";

  /** Decompressed bytes read at most per input. */
  private static final long READ_LIMIT = 64L << 20;

  @Override
  public String name() {
    return "state";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    Random r = new Random(9);
    byte[] small = migrationLike(r, 20_000);
    byte[] large = migrationLike(r, 3 << 20); // several zstd blocks, compressed by two workers
    List<Seed> seeds = new ArrayList<>();
    seeds.add(seed("empty stream", work.resolve("empty.zst"), new byte[0]));
    seeds.add(seed("20 KB of migration-like data", work.resolve("small.zst"), small));
    seeds.add(seed("3 MiB of migration-like data", work.resolve("large.zst"), large));
    return seeds;
  }

  /** Bytes shaped like QEMU's stream: its magic, section headers, pages of zeros, text, noise. */
  private static byte[] migrationLike(Random r, int size) {
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put("QEVM".getBytes(StandardCharsets.US_ASCII)).putInt(3);
    while (b.remaining() > 4096 + 64) {
      b.put((byte) 0x02).putInt(r.nextInt(64)).put("ram".getBytes(StandardCharsets.US_ASCII));
      switch (r.nextInt(3)) {
        case 0 -> b.position(b.position() + 4096); // a zero page
        case 1 -> {
          byte[] page = new byte[4096];
          r.nextBytes(page);
          b.put(page);
        }
        default -> {
          for (int i = 0; i < 4096 / 16; i++) {
            b.put("block device   ".getBytes(StandardCharsets.US_ASCII));
          }
        }
      }
    }
    return b.array();
  }

  private static Seed seed(String what, Path file, byte[] stream) throws IOException {
    try (WritableByteChannel out = StateFile.create(file)) {
      out.write(ByteBuffer.wrap(stream));
    }
    byte[] content = Files.readAllBytes(file);
    return new Seed(what, FuzzInput.of(FILE, content), frameFields(content));
  }

  /**
   * The zstd frame header's descriptor and window bytes, and each block header (3 bytes,
   * little-endian, as a 4-byte field), after RFC 8878.
   */
  static List<Field> frameFields(byte[] z) {
    List<Field> f = new ArrayList<>();
    if (z.length < 6) {
      return f;
    }
    int fhd = z[4] & 0xff;
    f.add(new Field(FILE, 4, 1, false, "frame header descriptor"));
    boolean single = (fhd & 0x20) != 0;
    int at = 5;
    if (!single) {
      f.add(new Field(FILE, at, 1, false, "window descriptor"));
      at++;
    }
    int[] dictBytes = {0, 1, 2, 4};
    at += dictBytes[fhd & 3];
    int fcsFlag = fhd >>> 6;
    int fcs = fcsFlag == 0 ? (single ? 1 : 0) : fcsFlag == 1 ? 2 : fcsFlag == 2 ? 4 : 8;
    if (fcs >= 1 && at + fcs <= z.length) {
      f.add(new Field(FILE, at, fcs == 1 ? 1 : fcs == 2 ? 2 : fcs == 4 ? 4 : 8, false, "frame content size"));
    }
    at += fcs;
    while (at + 4 <= z.length) {
      int header = (z[at] & 0xff) | (z[at + 1] & 0xff) << 8 | (z[at + 2] & 0xff) << 16;
      f.add(new Field(FILE, at, 4, false, "block header"));
      int type = (header >>> 1) & 3;
      int size = header >>> 3;
      at += 3 + (type == 1 ? 1 : size);
      if ((header & 1) != 0) {
        break;
      }
    }
    return f;
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
    long read = 0;
    Path file = input.resolve(FILE);
    try (ReadableByteChannel in = StateFile.open(Files.newInputStream(file), file.toString())) {
      int n;
      while (read < READ_LIMIT && (n = in.read(buffer.clear())) >= 0) {
        read += n;
      }
    }
  }

  @Override
  public String unexpected(Throwable error, Path input) {
    if (error.getClass() != IOException.class) {
      return "not a plain IOException";
    }
    if (!String.valueOf(error.getMessage()).startsWith("hibernation state " + input.resolve(FILE) + " ")) {
      return "the message does not start with 'hibernation state " + input.resolve(FILE) + "'";
    }
    return null;
  }
}
