package dev.carryon.testdata.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Structure-aware mutations of valid seeds: integer edges written into the fields the parser
 * trusts (sizes, offsets, counts, flags; other fields' values, so that tables overlap), bit flips,
 * interesting bytes and integers at random places (preferring bytes that are not zero, where the
 * structures are), ranges zeroed or copied, splices from other seeds, truncations and extensions.
 * Every choice comes from one {@link Random}, so a run is repeated exactly from its seed.
 */
public final class Mutator {
  /** Integer edges tried in every field, before truncation to the field's width. */
  private static final long[] EDGES = {
    0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 511, 512, 1023, 1024,
    4095, 4096, 65535, 65536, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L,
    Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -512, -4096
  };

  /** Single bytes worth writing. */
  private static final byte[] BYTES = {0, 1, 2, 0x7f, (byte) 0x80, (byte) 0xfe, (byte) 0xff, 0x20, '/', '.'};

  /** Longest range zeroed, copied or inserted at once. */
  private static final int MAX_RANGE = 4096;

  private final Random random;

  /** Seeds of the same target, for splices. */
  private final List<Seed> seeds;

  public Mutator(Random random, List<Seed> seeds) {
    this.random = random;
    this.seeds = List.copyOf(seeds);
  }

  /** The random source every choice comes from (targets with their own mutations share it). */
  public Random random() {
    return random;
  }

  /**
   * One to five stacked mutations of {@code in}; with {@code fields}, about half of them aim at a
   * field.
   */
  public FuzzInput mutate(FuzzInput in, List<Field> fields) {
    FuzzInput out = in;
    int n = 1 + Integer.numberOfTrailingZeros(random.nextInt() | 0x10); // 1 (50%), 2 (25%), ...
    for (int i = 0; i < n; i++) {
      if (!fields.isEmpty() && random.nextBoolean()) {
        Field f = fields.get(random.nextInt(fields.size()));
        if (out.files().containsKey(f.file())) {
          byte[] content = out.get(f.file()).clone();
          mutateField(content, f, fields);
          out = out.with(f.file(), content);
          continue;
        }
      }
      List<String> names = new ArrayList<>(out.files().keySet());
      String name = names.get(random.nextInt(names.size()));
      out = out.with(name, mutateBytes(out.get(name), name));
    }
    return out;
  }

  /** Writes an edge value into {@code f} of {@code content} (in place). */
  public void mutateField(byte[] content, Field f, List<Field> all) {
    Long current = f.read(content);
    if (current == null) {
      return;
    }
    long v;
    switch (random.nextInt(6)) {
      case 0 -> v = EDGES[random.nextInt(EDGES.length)];
      case 1 -> {
        long p = 1L << random.nextInt(8 * f.width());
        v = p + random.nextInt(3) - 1;
      }
      case 2 -> {
        long[] steps = {1, 2, 8, 512, 4096, 65536};
        long step = steps[random.nextInt(steps.length)];
        v = random.nextBoolean() ? current + step : current - step;
      }
      case 3 -> {
        Field other = all.get(random.nextInt(all.size()));
        Long o = other.file().equals(f.file()) ? other.read(content) : null;
        v = o != null ? o : current ^ (1L << random.nextInt(8 * f.width()));
      }
      case 4 -> {
        long len = content.length;
        long[] near = {len, len - 1, len + 1, len & ~511L, (len + 511) & ~511L, len * 2, len / 2};
        v = near[random.nextInt(near.length)];
      }
      default -> v = random.nextBoolean() ? current * 2 : current ^ (1L << random.nextInt(8 * f.width()));
    }
    f.write(content, v);
  }

  /** A mutated copy of {@code content} (a file named {@code name}, for splices from seeds). */
  public byte[] mutateBytes(byte[] content, String name) {
    if (content.length == 0) {
      return extend(content);
    }
    byte[] b = content.clone();
    switch (random.nextInt(11)) {
      case 0, 1 -> {
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
          int at = place(b);
          b[at] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 2 -> b[place(b)] = BYTES[random.nextInt(BYTES.length)];
      case 3, 4 -> {
        int width = 1 << (1 + random.nextInt(3));
        int at = place(b);
        if (random.nextInt(10) < 7) {
          at -= at % width;
        }
        long v = EDGES[random.nextInt(EDGES.length)];
        new Field(name, at, width, random.nextBoolean(), "random").write(b, v);
      }
      case 5 -> {
        int at = place(b);
        Arrays.fill(b, at, Math.min(b.length, at + 1 + random.nextInt(MAX_RANGE)), random.nextBoolean() ? 0 : (byte) 0xff);
      }
      case 6 -> {
        int from = place(b);
        int to = place(b);
        int len = Math.min(1 + random.nextInt(MAX_RANGE), Math.min(b.length - from, b.length - to));
        System.arraycopy(b, from, b, to, len);
      }
      case 7 -> {
        Seed other = seeds.get(random.nextInt(seeds.size()));
        byte[] o = other.input().files().getOrDefault(name, other.input().files().firstEntry().getValue());
        if (o.length > 0) {
          int from = random.nextBoolean() ? place(b) % o.length : random.nextInt(o.length);
          int to = random.nextBoolean() ? from % b.length : place(b);
          int len = Math.min(1 + random.nextInt(MAX_RANGE), Math.min(o.length - from, b.length - to));
          System.arraycopy(o, from, b, to, len);
        }
      }
      case 8 -> {
        return truncate(b);
      }
      case 9 -> {
        return random.nextBoolean() ? extend(b) : insert(b);
      }
      default -> {
        return delete(b);
      }
    }
    return b;
  }

  /**
   * A byte offset to change: anywhere, or (more often) one whose neighbourhood is not all zero,
   * since metadata lives there and most of a disk image is zeros.
   */
  private int place(byte[] b) {
    int at = random.nextInt(b.length);
    for (int tries = 0; tries < 8 && random.nextInt(4) != 0; tries++) {
      int candidate = random.nextInt(b.length);
      int end = Math.min(b.length, candidate + 64);
      for (int i = candidate; i < end; i++) {
        if (b[i] != 0) {
          return i;
        }
      }
    }
    return at;
  }

  private byte[] truncate(byte[] b) {
    int at;
    switch (random.nextInt(3)) {
      case 0 -> at = random.nextInt(b.length);
      case 1 -> at = Math.max(0, b.length - 1 - random.nextInt(Math.min(b.length, 4096)));
      default -> {
        int unit = random.nextBoolean() ? 512 : 4096;
        at = b.length / unit == 0 ? 0 : random.nextInt(b.length / unit) * unit;
      }
    }
    return Arrays.copyOf(b, at);
  }

  private byte[] extend(byte[] b) {
    int more = 1 + random.nextInt(random.nextBoolean() ? 512 : 65536);
    byte[] out = Arrays.copyOf(b, b.length + more);
    if (random.nextInt(4) == 0) {
      for (int i = b.length; i < out.length; i++) {
        out[i] = (byte) random.nextInt();
      }
    }
    return out;
  }

  private byte[] insert(byte[] b) {
    int at = place(b);
    int n = 1 + random.nextInt(random.nextBoolean() ? 8 : MAX_RANGE);
    byte[] out = new byte[b.length + n];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(b, at, out, at + n, b.length - at);
    return out;
  }

  private byte[] delete(byte[] b) {
    int at = place(b);
    int n = Math.min(b.length - at, 1 + random.nextInt(random.nextBoolean() ? 8 : MAX_RANGE));
    byte[] out = new byte[b.length - n];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(b, at + n, out, at, b.length - at - n);
    return out;
  }
}
