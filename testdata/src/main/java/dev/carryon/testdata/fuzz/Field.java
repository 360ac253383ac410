package dev.carryon.testdata.fuzz;

/**
 * A field of a seed's file that mutations aim at: an integer of {@code width} bytes (1, 2, 4 or
 * 8) at {@code offset}. Targets list the fields their parser trusts (sizes, offsets, counts,
 * flags), found by reading the seed independently of the code under test.
 *
 * @param file the input file holding it
 * @param offset byte offset in that file
 * @param width 1, 2, 4 or 8 bytes
 * @param bigEndian byte order (qcow2 and JBD2 are big-endian, ext4 little-endian)
 * @param name what it is, for messages ("L1 table offset")
 */
public record Field(String file, long offset, int width, boolean bigEndian, String name) {
  public Field {
    if (width != 1 && width != 2 && width != 4 && width != 8) {
      throw new IllegalArgumentException("field width (" + width + ") must be 1, 2, 4 or 8");
    }
    if (offset < 0) {
      throw new IllegalArgumentException("field offset (" + offset + ") must not be negative");
    }
  }

  /** The field's value in {@code content}, or null when the content is too short to hold it. */
  Long read(byte[] content) {
    if (offset > content.length - width) {
      return null;
    }
    long v = 0;
    for (int i = 0; i < width; i++) {
      int b = content[(int) offset + (bigEndian ? i : width - 1 - i)] & 0xff;
      v = v << 8 | b;
    }
    return v;
  }

  /** Writes {@code value}'s low {@code width} bytes into {@code content}, when it holds the field. */
  void write(byte[] content, long value) {
    if (offset > content.length - width) {
      return;
    }
    for (int i = 0; i < width; i++) {
      byte b = (byte) (value >>> (8 * i));
      content[(int) offset + (bigEndian ? width - 1 - i : i)] = b;
    }
  }
}
