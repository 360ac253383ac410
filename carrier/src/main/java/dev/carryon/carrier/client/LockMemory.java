package dev.carryon.carrier.client;

import dev.carryon.cow.io.OwnerOnly;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A host's memory of the write lock its command holds on one carrier server, so that when the
 * command is killed the next command of the same host takes the lock over at once ({@code
 * reclaim}, {@code PROTOCOL.md}) instead of waiting out its expiry.
 *
 * <p>The file is held under an operating-system lock for as long as the command lives: a second
 * command of this host meanwhile finds it held, remembers nothing and asks for the lock as any
 * other client would (and is refused while the first holds it). The kernel lets the file go when
 * its holder dies, which is what makes the id safe to reuse. The id is not forced: a memory lost
 * in a crash of the host only costs the wait.
 */
public final class LockMemory implements Closeable {
  /** What a remembered id must look like to be sent back. */
  private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");

  /** The memory's file, or null when another living command of this host holds it. */
  private final FileChannel file;

  /** The operating-system lock on {@link #file}, or null. */
  private final FileLock held;

  private LockMemory(FileChannel file, FileLock held) {
    this.file = file;
    this.held = held;
  }

  /**
   * The memory kept in {@code file} (created, with its folder, when absent; the owner's only, as
   * every file under a host's folder).
   */
  public static LockMemory at(Path file) throws IOException {
    OwnerOnly.createDirectories(file.getParent());
    FileChannel ch =
        OwnerOnly.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by another command in this same JVM
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (lock == null) {
      ch.close();
      return new LockMemory(null, null);
    }
    return new LockMemory(ch, lock);
  }

  /** The id of the lock a dead command of this host held, if it left one. */
  Optional<String> previous() throws IOException {
    if (file == null || file.size() > 64) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.allocate((int) file.size());
    while (b.hasRemaining() && file.read(b, b.position()) > 0) {
      // reads until full
    }
    String id = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
    return ID.matcher(id).matches() ? Optional.of(id) : Optional.empty();
  }

  /** Remembers {@code id} as the lock now held. */
  void remember(String id) throws IOException {
    write(id + "\n");
  }

  /** Forgets the lock: it was released. */
  void forget() throws IOException {
    write("");
  }

  private void write(String text) throws IOException {
    if (file == null) {
      return;
    }
    file.truncate(0);
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) {
      file.write(b, b.position());
    }
  }

  @Override
  public void close() throws IOException {
    if (file != null) {
      held.release();
      file.close();
    }
  }
}
