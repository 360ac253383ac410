package dev.carryon.carrier.keys;

import java.util.Arrays;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.util.Pack;

/**
 * Argon2id, version 1.3 (RFC 9106), the key slots' KDF; lanes are computed one after another.
 * Bouncy Castle's makes the same bytes (Argon2idTest holds both to RFC 9106's test vector and to
 * each other); this one exists for a fresh JVM, which is what every {@code resume} is. Measured
 * there on the 2-core test machine, 64 MiB and 3 passes, eight runs each: Bouncy Castle's
 * 0.38-0.64 s and 0.75-1.15 s of CPU (its C2 compiles took 0.3-0.45 s: its block loop changes
 * branches between passes and is compiled again; 65,536 arrays of one block each), this one
 * 0.31-0.49 s and 0.42-0.65 s of CPU. In a resume the KDF runs beside the session keeper's JVM
 * start and the checks, on cores that are already busy, so its CPU is what the resume waits for.
 *
 * <p>Memory is one {@code long[]}, block after block, lane after lane. A block's new value is XORed
 * into what the block held, in every pass: fresh memory is zero, so the first pass writes {@code
 * G(prev, ref)} itself as RFC 9106 says, and the loops take the same branches in every pass.
 */
final class Argon2id {
  /** 64-bit words in a 1 KiB block. */
  private static final int WORDS = 128;
  /** Slices per pass (the sync points at which lanes meet). */
  private static final int SLICES = 4;
  /** RFC 9106's version number 0x13, and its type number of Argon2id. */
  private static final int VERSION = 0x13;
  private static final int TYPE = 2;

  /** The memory, lanes side by side. */
  private final long[] memory;
  private final int lanes;
  private final int passes;
  /** Blocks in all (m' of RFC 9106), in a lane, in a segment (a lane's part of a slice). */
  private final int blocks;
  private final int laneLength;
  private final int segmentLength;
  /** The compression's working block, and the data-independent addressing's blocks. */
  private final long[] work = new long[WORDS];
  private final long[] zero = new long[WORDS];
  private final long[] input = new long[WORDS];
  private final long[] addresses = new long[WORDS];
  private final long[] scratch = new long[WORDS];

  private Argon2id(int memoryKiB, int passes, int lanes) {
    this.lanes = lanes;
    this.passes = passes;
    blocks = Math.max(memoryKiB, 2 * SLICES * lanes) / (SLICES * lanes) * (SLICES * lanes);
    laneLength = blocks / lanes;
    segmentLength = laneLength / SLICES;
    memory = new long[blocks * WORDS];
  }

  /**
   * The {@code length}-byte tag of {@code password} with {@code salt}, the optional {@code secret}
   * and {@code associatedData} (empty arrays for none), {@code memoryKiB} KiB of memory, {@code
   * passes} passes and {@code lanes} lanes.
   */
  static byte[] hash(
      byte[] password, byte[] salt, byte[] secret, byte[] associatedData,
      int memoryKiB, int passes, int lanes, int length) {
    if (lanes < 1 || lanes > 0xffffff || passes < 1 || length < 4 || salt.length < 8
        || memoryKiB < 8 * lanes || (long) memoryKiB * 1024 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Argon2id parameters out of range: m=" + memoryKiB
          + " KiB, t=" + passes + ", p=" + lanes + ", tag " + length + " bytes, salt "
          + salt.length + " bytes");
    }
    Argon2id a = new Argon2id(memoryKiB, passes, lanes);
    Blake2bDigest h0 = new Blake2bDigest(512);
    for (int v : new int[] {lanes, length, memoryKiB, passes, VERSION, TYPE}) {
      update(h0, v);
    }
    for (byte[] field : new byte[][] {password, salt, secret, associatedData}) {
      update(h0, field.length);
      h0.update(field, 0, field.length);
    }
    byte[] seed = new byte[64 + 8];
    h0.doFinal(seed, 0);
    byte[] block = new byte[WORDS * 8];
    for (int lane = 0; lane < lanes; lane++) {
      for (int j = 0; j < 2; j++) {
        Pack.intToLittleEndian(j, seed, 64);
        Pack.intToLittleEndian(lane, seed, 68);
        variableHash(seed, block);
        int at = (lane * a.laneLength + j) * WORDS;
        for (int k = 0; k < WORDS; k++) {
          a.memory[at + k] = Pack.littleEndianToLong(block, 8 * k);
        }
      }
    }
    Arrays.fill(seed, (byte) 0);
    for (int pass = 0; pass < passes; pass++) {
      for (int slice = 0; slice < SLICES; slice++) {
        for (int lane = 0; lane < lanes; lane++) {
          a.fillSegment(pass, slice, lane);
        }
      }
    }
    long[] last = new long[WORDS];
    for (int lane = 0; lane < lanes; lane++) {
      int at = (lane * a.laneLength + a.laneLength - 1) * WORDS;
      for (int k = 0; k < WORDS; k++) {
        last[k] ^= a.memory[at + k];
      }
    }
    Arrays.fill(a.memory, 0);
    for (int k = 0; k < WORDS; k++) {
      Pack.longToLittleEndian(last[k], block, 8 * k);
    }
    byte[] tag = new byte[length];
    variableHash(block, tag);
    Arrays.fill(block, (byte) 0);
    return tag;
  }

  /**
   * Fills lane {@code lane}'s segment of slice {@code slice} in pass {@code pass}. The first half
   * of the first pass takes its reference blocks from address blocks (data-independent, Argon2i's
   * way), the rest from the previous block's first word (Argon2d's).
   */
  private void fillSegment(int pass, int slice, int lane) {
    int first = pass == 0 && slice == 0 ? 2 : 0; // the lane's first two blocks come from H0
    // Reference area sizes at index 0 of the segment: the blocks already made in the reference
    // lane, less the previous block when it is the current lane (RFC 9106, section 3.4.2).
    long ownArea = (pass == 0 ? (long) slice * segmentLength : laneLength - segmentLength) - 1;
    long otherArea = pass == 0 ? (long) slice * segmentLength : laneLength - segmentLength;
    int areaStart = pass == 0 || slice == SLICES - 1 ? 0 : (slice + 1) * segmentLength;
    boolean ownLaneOnly = pass == 0 && slice == 0;
    int current = lane * laneLength + slice * segmentLength + first;
    if (pass == 0 && slice < SLICES / 2) {
      Arrays.fill(input, 0);
      input[0] = pass;
      input[1] = lane;
      input[2] = slice;
      input[3] = blocks;
      input[4] = passes;
      input[5] = TYPE;
      if (first != 0) {
        nextAddresses();
      }
      for (int i = first; i < segmentLength; i++, current++) {
        if (i % WORDS == 0) {
          nextAddresses();
        }
        long random = addresses[i % WORDS];
        fillBlock(current, lane, i, random, ownArea, otherArea, areaStart, ownLaneOnly);
      }
    } else {
      for (int i = first; i < segmentLength; i++, current++) {
        long random = memory[previous(current) * WORDS];
        fillBlock(current, lane, i, random, ownArea, otherArea, areaStart, ownLaneOnly);
      }
    }
  }

  /** The block before {@code block} in its lane, cyclically. */
  private int previous(int block) {
    return block % laneLength == 0 ? block + laneLength - 1 : block - 1;
  }

  /** Block {@code current}, index {@code i} of its segment; {@code random} picks its reference. */
  private void fillBlock(
      int current, int lane, int i, long random, long ownArea, long otherArea, int areaStart,
      boolean ownLaneOnly) {
    int refLane = ownLaneOnly ? lane : (int) ((random >>> 32) % lanes);
    long area = refLane == lane ? ownArea + i : otherArea - (i == 0 ? 1 : 0);
    long x = random & 0xffffffffL;
    x = (x * x) >>> 32;
    long position = area - 1 - ((area * x) >>> 32);
    int ref = refLane * laneLength + (int) ((areaStart + position) % laneLength);
    compress(memory, previous(current) * WORDS, memory, ref * WORDS, memory, current * WORDS);
  }

  /** The next address block: G(0, G(0, input)) with the input's counter advanced. */
  private void nextAddresses() {
    input[6]++;
    Arrays.fill(scratch, 0);
    compress(zero, 0, input, 0, scratch, 0);
    Arrays.fill(addresses, 0);
    compress(zero, 0, scratch, 0, addresses, 0);
  }

  /** {@code out[o..] ^= G(x[xo..], y[yo..])}, RFC 9106's compression function G. */
  private void compress(long[] x, int xo, long[] y, int yo, long[] out, int o) {
    long[] r = work;
    for (int k = 0; k < WORDS; k++) {
      long v = x[xo + k] ^ y[yo + k];
      r[k] = v;
      out[o + k] ^= v;
    }
    for (int row = 0; row < 8; row++) {
      permute(r, 16 * row, 2);
    }
    for (int column = 0; column < 8; column++) {
      permute(r, 2 * column, 16);
    }
    for (int k = 0; k < WORDS; k++) {
      out[o + k] ^= r[k];
    }
  }

  /**
   * The permutation P on sixteen words of {@code v}: word j at {@code b + s * (j / 2) + j % 2}, so
   * a row of the block with {@code s} 2 and a column with {@code s} 16.
   */
  private static void permute(long[] v, int b, int s) {
    quarter(v, b, b + 2 * s, b + 4 * s, b + 6 * s);
    quarter(v, b + 1, b + 2 * s + 1, b + 4 * s + 1, b + 6 * s + 1);
    quarter(v, b + s, b + 3 * s, b + 5 * s, b + 7 * s);
    quarter(v, b + s + 1, b + 3 * s + 1, b + 5 * s + 1, b + 7 * s + 1);
    quarter(v, b, b + 2 * s + 1, b + 5 * s, b + 7 * s + 1);
    quarter(v, b + 1, b + 3 * s, b + 5 * s + 1, b + 6 * s);
    quarter(v, b + s, b + 3 * s + 1, b + 4 * s, b + 6 * s + 1);
    quarter(v, b + s + 1, b + 2 * s, b + 4 * s + 1, b + 7 * s);
  }

  /** BLAKE2b's G with BlaMka's multiplications, on four words of {@code v}. */
  private static void quarter(long[] v, int a, int b, int c, int d) {
    long va = v[a];
    long vb = v[b];
    long vc = v[c];
    long vd = v[d];
    va = blaMka(va, vb);
    vd = Long.rotateRight(vd ^ va, 32);
    vc = blaMka(vc, vd);
    vb = Long.rotateRight(vb ^ vc, 24);
    va = blaMka(va, vb);
    vd = Long.rotateRight(vd ^ va, 16);
    vc = blaMka(vc, vd);
    vb = Long.rotateRight(vb ^ vc, 63);
    v[a] = va;
    v[b] = vb;
    v[c] = vc;
    v[d] = vd;
  }

  private static long blaMka(long x, long y) {
    return x + y + 2 * ((x & 0xffffffffL) * (y & 0xffffffffL));
  }

  /** H' of RFC 9106 (section 3.3): BLAKE2b stretched to {@code out.length} bytes. */
  private static void variableHash(byte[] in, byte[] out) {
    byte[] length = Pack.intToLittleEndian(out.length);
    if (out.length <= 64) {
      Blake2bDigest d = new Blake2bDigest(out.length * 8);
      d.update(length, 0, 4);
      d.update(in, 0, in.length);
      d.doFinal(out, 0);
      return;
    }
    int r = (out.length + 31) / 32 - 2;
    byte[] v = new byte[64];
    Blake2bDigest d = new Blake2bDigest(512);
    d.update(length, 0, 4);
    d.update(in, 0, in.length);
    d.doFinal(v, 0);
    System.arraycopy(v, 0, out, 0, 32);
    for (int i = 1; i < r; i++) {
      d.update(v, 0, 64);
      d.doFinal(v, 0); // doFinal resets the digest for the next one
      System.arraycopy(v, 0, out, 32 * i, 32);
    }
    int rest = out.length - 32 * r;
    Blake2bDigest tail = new Blake2bDigest(rest * 8);
    tail.update(v, 0, 64);
    byte[] w = new byte[rest];
    tail.doFinal(w, 0);
    System.arraycopy(w, 0, out, 32 * r, rest);
    Arrays.fill(v, (byte) 0);
    Arrays.fill(w, (byte) 0);
  }

  private static void update(Blake2bDigest d, int value) {
    d.update(Pack.intToLittleEndian(value), 0, 4);
  }
}
