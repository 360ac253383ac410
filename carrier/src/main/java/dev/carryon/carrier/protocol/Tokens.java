package dev.carryon.carrier.protocol;

import dev.carryon.carrier.storage.Hex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;

/**
 * The bearer token that every request must carry: made fresh and random, kept in a file only its
 * owner may read, compared in constant time.
 */
public final class Tokens {
  /** Random bytes in a fresh token (64 hex digits). */
  private static final int TOKEN_BYTES = 32;

  /** Shortest token accepted from a file or the environment. */
  static final int MIN_LENGTH = 16;

  /** Longest token accepted. */
  static final int MAX_LENGTH = 512;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Tokens() {}

  /** A fresh random token: 64 lowercase hex digits. */
  public static String newToken() {
    byte[] b = new byte[TOKEN_BYTES];
    RANDOM.nextBytes(b);
    return Hex.of(b);
  }

  /**
   * True when {@code given} is {@code expected}. Takes the same time wherever the first difference
   * is, so the answer's timing tells nothing about the token.
   */
  public static boolean matches(String expected, String given) {
    if (given == null || expected.isEmpty()) {
      return false;
    }
    byte[] a = expected.getBytes(StandardCharsets.UTF_8);
    byte[] b = given.getBytes(StandardCharsets.UTF_8);
    int diff = a.length ^ b.length;
    for (int i = 0; i < b.length; i++) {
      diff |= a[i % a.length] ^ b[i];
    }
    return diff == 0;
  }

  /** What is wrong with {@code token} as a token, or null. */
  public static String problem(String token) {
    if (token.length() < MIN_LENGTH || token.length() > MAX_LENGTH) {
      return "a token must have " + MIN_LENGTH + " to " + MAX_LENGTH + " characters, this one has "
          + token.length();
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c > '~') {
        return "a token may hold only visible ASCII characters (character " + (i + 1) + " is not)";
      }
    }
    return null;
  }

  /**
   * The token in {@code file}; when the file does not exist, it is created holding a fresh token,
   * readable by its owner only (mode 0600), and forced.
   *
   * @throws TokenFileException when the file is readable by others, or holds no usable token
   */
  public static String readOrCreate(Path file) throws IOException {
    try {
      return read(file);
    } catch (NoSuchFileException e) {
      String token = newToken();
      try {
        create(file, token);
      } catch (FileAlreadyExistsException raced) {
        return read(file);
      }
      return token;
    }
  }

  /**
   * The token in {@code file}: its first line, trimmed.
   *
   * @throws NoSuchFileException when the file does not exist
   * @throws TokenFileException when the file is readable by others, or holds no usable token
   */
  public static String read(Path file) throws IOException {
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      for (PosixFilePermission p : mode) {
        if (p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE) {
          throw new TokenFileException(
              file, "is open to others (mode " + PosixFilePermissions.toString(mode)
                  + "); make it readable by its owner only: chmod 600 " + file);
        }
      }
    }
    if (Files.size(file) > MAX_LENGTH + 2) {
      throw new TokenFileException(file, "is " + Files.size(file) + " bytes, too long for a token");
    }
    String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    int end = text.indexOf('\n');
    String token = (end < 0 ? text : text.substring(0, end)).trim();
    String problem = problem(token);
    if (problem != null) {
      throw new TokenFileException(file, "holds no usable token: " + problem);
    }
    return token;
  }

  private static void create(Path file, String token) throws IOException {
    boolean posix =
        Files.getFileStore(file.toAbsolutePath().getParent()).supportsFileAttributeView("posix");
    Set<StandardOpenOption> options =
        EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try (FileChannel ch =
        posix
            ? FileChannel.open(
                file,
                options,
                PosixFilePermissions.asFileAttribute(
                    EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)))
            : FileChannel.open(file, options)) {
      ByteBuffer b = ByteBuffer.wrap((token + "\n").getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      // A server that restarts after a power cut must find the token its clients were given.
      ch.force(true);
    }
  }

  /** A token file that cannot be used: open to others, or without a token. */
  public static final class TokenFileException extends IOException {
    TokenFileException(Path file, String problem) {
      super("token file " + file + " " + problem);
    }
  }
}
