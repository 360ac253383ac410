package dev.carryon.sync.partition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.carryon.sync.ext4.E2fs;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * Partitioned test disks: sfdisk (util-linux) writes the tables and is the oracle for what they
 * hold; a GPT edit helper recomputes both CRCs, to make tables that are sound by their checksums
 * but wrong in what they say (sfdisk refuses to write those).
 */
public final class Sfdisk {
  private Sfdisk() {}

  /** One partition as {@code sfdisk --json} reports it, in sectors. */
  public record Entry(int number, long start, long size, String type, String uuid, String name) {}

  /** Creates {@code image} of {@code size} bytes and writes the sfdisk {@code script} to it. */
  public static Path create(Path image, long size, String script) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(size);
    }
    Process p = new ProcessBuilder("sfdisk", "-q", "--no-reread", "--no-tell-kernel",
        image.toString()).redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(script.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("sfdisk " + image + " failed:\n" + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return image;
  }

  /** The partitions sfdisk reads from {@code image}. */
  public static List<Entry> entries(Path image) throws IOException {
    JsonNode table = new ObjectMapper().readTree(
        E2fs.run(List.of("sfdisk", "--json", image.toString()))).get("partitiontable");
    List<Entry> entries = new ArrayList<>();
    for (JsonNode p : table.get("partitions")) {
      String node = p.get("node").asText();
      int number = Integer.parseInt(node.substring(image.toString().length()));
      entries.add(new Entry(number, p.get("start").asLong(), p.get("size").asLong(),
          p.get("type").asText(), p.path("uuid").asText(""), p.path("name").asText("")));
    }
    return entries;
  }

  /**
   * Sets the first and last LBA of GPT entry {@code number} (1-based) in both copies of the
   * table, with every CRC recomputed: a table whose checksums hold but whose contents are wrong.
   */
  public static void setGptEntry(Path image, int number, long first, long last)
      throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      long lastLba = f.length() / 512 - 1;
      for (long headerLba : new long[] {1, lastLba}) {
        ByteBuffer h = read(f, headerLba * 512, 512);
        long entriesLba = h.getLong(72);
        int count = h.getInt(80);
        int size = h.getInt(84);
        ByteBuffer entries = read(f, entriesLba * 512, count * size);
        int at = (number - 1) * size;
        entries.putLong(at + 32, first).putLong(at + 40, last);
        write(f, entriesLba * 512, entries);
        h.putInt(88, (int) crc(entries.array(), entries.capacity()));
        int headerSize = h.getInt(12);
        h.putInt(16, 0);
        h.putInt(16, (int) crc(h.array(), headerSize));
        write(f, headerLba * 512, h);
      }
    }
  }

  /** Overwrites {@code bytes} at {@code offset} of {@code image}. */
  public static void patch(Path image, long offset, byte... bytes) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.seek(offset);
      f.write(bytes);
    }
  }

  /** Writes a little-endian u32 at {@code offset}. */
  public static void patchU32(Path image, long offset, long value) throws IOException {
    patch(image, offset, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
        .putInt((int) value).array());
  }

  /** Sectors of {@code image}: its size over 512. */
  public static long sectors(Path image) throws IOException {
    return Files.size(image) / 512;
  }

  private static ByteBuffer read(RandomAccessFile f, long offset, int length) throws IOException {
    byte[] b = new byte[length];
    f.seek(offset);
    f.readFully(b);
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void write(RandomAccessFile f, long offset, ByteBuffer b) throws IOException {
    f.seek(offset);
    f.write(b.array());
  }

  private static long crc(byte[] b, int length) {
    CRC32 c = new CRC32();
    c.update(b, 0, length);
    return c.getValue();
  }
}
