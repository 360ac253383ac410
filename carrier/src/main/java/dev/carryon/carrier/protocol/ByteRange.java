package dev.carryon.carrier.protocol;

/**
 * The part of a file a {@code GET files/NAME} answers: the whole file, or what a {@code Range:
 * bytes=FROM-} / {@code bytes=FROM-TO} header asks for, cut at the file's end.
 *
 * @param offset first byte sent
 * @param length bytes sent
 * @param total the file's size
 * @param partial true when a range was asked for (answered {@code 206} with {@code Content-Range})
 */
public record ByteRange(long offset, long length, long total, boolean partial) {
  /**
   * The range {@code header} (null: none) asks of a file of {@code total} bytes, named {@code name}
   * in messages.
   *
   * @throws ProtocolException {@code range-not-satisfiable} when it starts at or past the end (an
   *     empty file's whole range is still satisfiable), {@code bad-request} when it is malformed
   */
  public static ByteRange of(String name, String header, long total) throws ProtocolException {
    if (header == null) {
      return new ByteRange(0, total, total, false);
    }
    String h = header.trim();
    int dash = h.indexOf('-');
    if (!h.startsWith("bytes=") || dash < 0 || h.indexOf(',') >= 0) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST,
          name + ": range '" + header + "' is not 'bytes=FROM-' or 'bytes=FROM-TO'");
    }
    long from = number(name, header, h.substring("bytes=".length(), dash));
    String toText = h.substring(dash + 1);
    long to = toText.isEmpty() ? total - 1 : number(name, header, toText);
    if (from >= total) {
      throw new ProtocolException(
          ErrorCode.RANGE_NOT_SATISFIABLE,
          name + ": range starts at byte " + from + ", past the end of the file (" + total
              + " bytes)");
    }
    if (to < from) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST, name + ": range '" + header + "' ends before it starts");
    }
    long end = Math.min(to, total - 1);
    return new ByteRange(from, end - from + 1, total, true);
  }

  /** The {@code Content-Range} value of a partial answer. */
  public String contentRange() {
    return "bytes " + offset + "-" + (offset + length - 1) + "/" + total;
  }

  private static long number(String name, String header, String digits) throws ProtocolException {
    if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(Character::isDigit)) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST, name + ": range '" + header + "' has no valid byte position");
    }
    return Long.parseLong(digits);
  }
}
