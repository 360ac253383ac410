package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Random writes by the engine read back by QEMU, and random writes by QEMU read back by the engine. */
class RandomWriteTest {
  static final int SIZE = 3 << 20;

  @TempDir Path dir;

  @ParameterizedTest(name = "seed {0}, {1}")
  @CsvSource({
    "1, cluster_size=64K",
    "2, cluster_size=512",
    "3, cluster_size=4K,refcount_bits=1",
    "4, extended_l2=on",
    "5, compat=0.10,cluster_size=8K"
  })
  void engineWritesQemuReads(long seed, String options) throws Exception {
    Random random = new Random(seed);
    byte[] model = baseWithPattern();
    Path top = overlay(options);
    try (ImageChain chain = ImageChain.over(DiskImage.open(top, true))) {
      DiskImage image = chain.top();
      for (int i = 0; i < 60; i++) {
        int length = 1 + random.nextInt(i % 3 == 0 ? 200_000 : 5000);
        int at = random.nextInt(SIZE - length);
        if (random.nextInt(6) == 0) {
          image.writeZeroes(at, length);
          java.util.Arrays.fill(model, at, at + length, (byte) 0);
        } else {
          byte[] data = new byte[length];
          random.nextBytes(data);
          image.write(ByteBuffer.wrap(data), at);
          System.arraycopy(data, 0, model, at, length);
        }
      }
    }
    assertArrayEquals(model, MergeOracleTest.qemuRaw(top), "seed " + seed + " (" + options + ")");
    assertEquals(0, Qemu.check(top).exit(), "seed " + seed + ": qemu-img check\n" + Qemu.check(top).out());
  }

  @ParameterizedTest(name = "seed {0}, {1}")
  @CsvSource({"11, cluster_size=64K", "12, cluster_size=512", "13, extended_l2=on", "14, compat=0.10"})
  void qemuWritesEngineReads(long seed, String options) throws Exception {
    Random random = new Random(seed);
    byte[] model = baseWithPattern();
    Path top = overlay(options);
    List<String> commands = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      int length = 1 + random.nextInt(100_000);
      int at = random.nextInt(SIZE - length);
      int pattern = random.nextInt(256);
      boolean zero = random.nextInt(5) == 0 && !options.contains("0.10");
      if (zero) {
        // qemu-io's write -z wants sector alignment.
        at &= ~511;
        length = Math.max(512, length & ~511);
        commands.add("write -z " + at + " " + length);
      } else {
        commands.add("write -P " + pattern + " " + at + " " + length);
      }
      java.util.Arrays.fill(model, at, at + length, zero ? 0 : (byte) pattern);
    }
    Qemu.io(top, commands.toArray(String[]::new));
    assertArrayEquals(model, MergeOracleTest.engineRaw(top), "seed " + seed + " (" + options + ")");
  }

  /** A base with a byte pattern (a different byte every 4 KiB); returns its content. */
  private byte[] baseWithPattern() {
    Path base = dir.resolve("base.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", base.toString(), Integer.toString(SIZE));
    byte[] model = new byte[SIZE];
    List<String> commands = new ArrayList<>();
    for (int at = 0; at < SIZE / 2; at += 4096) {
      int p = (at / 4096) % 250 + 1;
      commands.add("write -P " + p + " " + at + " 4096");
      java.util.Arrays.fill(model, at, at + 4096, (byte) p);
    }
    Qemu.io(base, commands.toArray(String[]::new));
    return model;
  }

  private Path overlay(String options) {
    Path top = dir.resolve("top.qcow2");
    Qemu.img("create", "-q", "-f", "qcow2", "-o", options, "-b", "base.qcow2", "-F", "qcow2", top.toString());
    return top;
  }
}
