package dev.carryon.cow;

/**
 * A run of guest bytes with one allocation state, as {@code qemu-img map --output=json} prints it.
 *
 * @param start guest offset of the first byte
 * @param length bytes in the run
 * @param depth layer the state comes from: 0 is the top image, 1 its backing file, ...
 * @param present whether some layer at or above {@code depth} defines these bytes
 * @param zero whether the bytes read as zeros
 * @param data whether the bytes are stored as data in the layer at {@code depth}
 * @param offset host offset of the data in that layer's file, -1 when there is none or it is
 *     compressed
 */
public record Extent(
    long start, long length, int depth, boolean present, boolean zero, boolean data, long offset) {

  /** Guest offset just past the run. */
  public long end() {
    return start + length;
  }

  /** Whether {@code next} continues this run with the same state (and contiguous host bytes). */
  public boolean joinsWith(Extent next) {
    return next.start == end()
        && next.depth == depth
        && next.present == present
        && next.zero == zero
        && next.data == data
        && (offset < 0 ? next.offset < 0 : next.offset == offset + length);
  }

  /** This run and {@code next} as one; call only when {@link #joinsWith} holds. */
  public Extent join(Extent next) {
    return new Extent(start, length + next.length, depth, present, zero, data, offset);
  }

  /** Appends {@code x} to {@code runs}, joined with the last run when it continues it. */
  public static void addJoined(java.util.List<Extent> runs, Extent x) {
    int last = runs.size() - 1;
    if (last >= 0 && runs.get(last).joinsWith(x)) {
      runs.set(last, runs.get(last).join(x));
    } else {
      runs.add(x);
    }
  }

  /** The part of this run in {@code [from, to)}. */
  public Extent slice(long from, long to) {
    long s = Math.max(from, start);
    long e = Math.min(to, end());
    return new Extent(s, e - s, depth, present, zero, data, offset < 0 ? -1 : offset + (s - start));
  }

  /** The same run attributed to layer {@code newDepth}. */
  public Extent atDepth(int newDepth) {
    return new Extent(start, length, newDepth, present, zero, data, offset);
  }
}
