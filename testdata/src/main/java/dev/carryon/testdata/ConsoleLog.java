package dev.carryon.testdata;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Follows the serial console file of a {@link TestGuest} as QEMU writes it ({@code -serial
 * file:PATH}), and parses the guest's protocol lines:
 *
 * <pre>
 * CARRYON-BOOT bootid=&lt;id&gt; boot=&lt;count&gt;   once per boot, when bootcount and payload are on disk
 * TICK &lt;n&gt; bootid=&lt;id&gt;                    every tick; n counts up from 1 within one boot
 * CARRYON-ERROR &lt;what&gt;                    the guest cannot do its job: waiting fails at once
 * </pre>
 *
 * A resumed session shows ticks that continue the counter of the same boot id.
 */
public final class ConsoleLog {

  /** The boot marker; groups: boot id, boot count. */
  public static final Pattern BOOT = Pattern.compile("CARRYON-BOOT bootid=(\\S+) boot=(\\d+)");
  /** A tick; groups: n, boot id. */
  public static final Pattern TICK = Pattern.compile("TICK (\\d+) bootid=(\\S+)");
  /** An error the guest reports. */
  public static final Pattern ERROR = Pattern.compile("CARRYON-ERROR .*");
  /** The guest took an address by DHCP and serves its tick file over HTTP (a VM with a NIC). */
  public static final Pattern NET = Pattern.compile("CARRYON-NET (\\S+)");

  /** Console lines quoted in failure messages. */
  private static final int QUOTED_LINES = 20;
  private static final long POLL_MILLIS = 50;

  /** One tick of the guest. */
  public record Tick(long n, String bootId) {}

  /** The guest's boot marker: its boot id and how many times its disk has been booted. */
  public record BootMarker(String bootId, int boot) {}

  private final Path file;
  /** The QEMU writing the file, or null: waiting stops when it has exited. */
  private final Process qemu;
  /** Complete lines read so far, without line terminators. */
  private final List<String> lines = new ArrayList<>();
  /** Bytes after the last newline. */
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private long offset;

  /** Follows {@code file}, which need not exist yet. */
  public ConsoleLog(Path file) {
    this(file, null);
  }

  /** Follows {@code file}; waits fail as soon as {@code qemu} has exited. */
  public ConsoleLog(Path file, Process qemu) {
    this.file = file;
    this.qemu = qemu;
  }

  /** Every complete line so far. */
  public synchronized List<String> lines() {
    readNew();
    return List.copyOf(lines);
  }

  /**
   * Waits until a line contains a match of {@code pattern} and returns the first such line.
   *
   * @throws AssertionError on timeout, when QEMU exits first, or when the guest prints a
   *     CARRYON-ERROR line that {@code pattern} does not match; the message quotes the last lines
   */
  public synchronized String waitFor(Pattern pattern, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int scanned = 0;
    while (true) {
      boolean exited = qemu != null && !qemu.isAlive();
      readNew(); // after the liveness check, so the exited QEMU's last words are read
      for (; scanned < lines.size(); scanned++) {
        String line = lines.get(scanned);
        if (pattern.matcher(line).find()) {
          return line;
        }
        if (ERROR.matcher(line).find()) {
          throw failure("the guest reported an error while waiting for /" + pattern + "/");
        }
      }
      if (exited) {
        throw failure("QEMU exited (code " + qemu.exitValue() + ") before the console showed /"
            + pattern + "/");
      }
      if (System.nanoTime() - deadline >= 0) {
        throw failure("the console did not show /" + pattern + "/ within " + timeout);
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure("interrupted while waiting for /" + pattern + "/");
      }
    }
  }

  /** The last tick printed so far. */
  public synchronized Optional<Tick> lastTick() {
    readNew();
    for (int i = lines.size() - 1; i >= 0; i--) {
      Matcher m = TICK.matcher(lines.get(i));
      if (m.find()) {
        return Optional.of(new Tick(Long.parseLong(m.group(1)), m.group(2)));
      }
    }
    return Optional.empty();
  }

  /** The boot marker, if the guest has printed it. */
  public synchronized Optional<BootMarker> bootMarker() {
    readNew();
    for (String line : lines) {
      Matcher m = BOOT.matcher(line);
      if (m.find()) {
        return Optional.of(new BootMarker(m.group(1), Integer.parseInt(m.group(2))));
      }
    }
    return Optional.empty();
  }

  /** Reads what QEMU appended since the last call. */
  private void readNew() {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(8192);
      int n;
      while ((n = ch.read(buf, offset)) > 0) {
        offset += n;
        for (int i = 0; i < n; i++) {
          byte b = buf.get(i);
          if (b == '\n') {
            lines.add(decode(partial.toByteArray()));
            partial.reset();
          } else {
            partial.write(b);
          }
        }
        buf.clear();
      }
    } catch (NoSuchFileException e) {
      // QEMU has not created it yet.
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read console file " + file, e);
    }
  }

  /** The serial line ends lines with CR LF. */
  private static String decode(byte[] line) {
    String s = new String(line, StandardCharsets.UTF_8);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  private AssertionError failure(String what) {
    StringBuilder msg = new StringBuilder(what).append("; last console lines of ").append(file);
    int from = Math.max(0, lines.size() - QUOTED_LINES);
    for (String line : lines.subList(from, lines.size())) {
      msg.append("\n  ").append(line);
    }
    if (partial.size() > 0) {
      msg.append("\n  ").append(decode(partial.toByteArray())).append(" [no newline yet]");
    }
    if (lines.isEmpty() && partial.size() == 0) {
      msg.append(Files.exists(file) ? "\n  (empty)" : "\n  (no such file)");
    }
    return new AssertionError(msg.toString());
  }
}
