package dev.carryon.carrier.protocol;

import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.Hex;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.StorageLockedException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The write lock of one served carrier: at most one holder, known by a random id, until it
 * releases the lock or lets it expire. While a remote holder has it, the carrier folder's own
 * operating-system lock ({@link FolderStorage#lock}) is held too, so a local command on the same
 * folder and a remote one exclude each other. A lock does not expire while a request made with it
 * is still running: that request is proof its holder lives. A holder that died (a command killed
 * on its host) is taken over at once by the next command that names the dead one's lock id, which
 * only its holder was told: its host kept it ({@code reclaim}, see {@code PROTOCOL.md}).
 */
final class LockTable {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The folder whose lock is held with the remote one. */
  private final FolderStorage storage;

  /** Tells the time of expiry. */
  private final Clock clock;

  /** The current holder, or null. */
  private Held held;

  /** Longest a reclaim waits for the dead holder's requests still running here to end. */
  private static final long RECLAIM_WAIT_MILLIS = 10_000;

  LockTable(FolderStorage storage, Clock clock) {
    this.storage = storage;
    this.clock = clock;
  }

  /** A granted or renewed lock, as the answer names it. */
  record Grant(String id, Instant expires) {}

  /** A lock holder. */
  private static final class Held {
    /** The lock's id, 32 hex digits. */
    final String id;
    /** The holder's words, shown to anyone refused. */
    final String owner;
    /** Seconds each grant or renewal lasts. */
    final int ttlSeconds;
    /** The folder's own lock, held as long as this. */
    final StorageLock folderLock;
    /** When it expires unless renewed. */
    Instant expires;
    /** Requests made with this lock still running. */
    int inFlight;

    Held(String id, String owner, int ttlSeconds, StorageLock folderLock, Instant expires) {
      this.id = id;
      this.owner = owner;
      this.ttlSeconds = ttlSeconds;
      this.folderLock = folderLock;
      this.expires = expires;
    }
  }

  /**
   * Takes the lock for {@code owner} for {@code ttlSeconds}.
   *
   * @throws ProtocolException {@code locked}, naming the holder, while another holds it (a remote
   *     client or a local command on the folder)
   */
  synchronized Grant acquire(String owner, int ttlSeconds) throws IOException {
    return acquire(owner, ttlSeconds, null);
  }

  /**
   * As {@link #acquire(String, int)}; when {@code reclaim} is the id of the lock held, the lock
   * passes to {@code owner} under a new id at once, the folder's lock kept: the caller proved it
   * is the holder's successor (its host kept the id, and holds it only while its command lives).
   * The old holder's requests still running here (a body its death cut off) end first, so none of
   * them writes after the successor has started.
   */
  synchronized Grant acquire(String owner, int ttlSeconds, String reclaim) throws IOException {
    expireIfDue();
    if (held != null && reclaim != null && held.id.equals(reclaim)) {
      Held old = held;
      long deadline = System.nanoTime() + RECLAIM_WAIT_MILLIS * 1_000_000;
      while (old.inFlight > 0 && held == old && System.nanoTime() < deadline) {
        try {
          wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while taking the lock over");
        }
      }
      if (held == old && old.inFlight == 0) {
        held = new Held(newId(), owner, ttlSeconds, old.folderLock, expiry(ttlSeconds));
        return new Grant(held.id, held.expires);
      }
    }
    if (held != null) {
      throw locked(held.owner, held.expires);
    }
    StorageLock folderLock;
    try {
      folderLock = storage.lock("carryon serve, for " + owner);
    } catch (StorageLockedException e) {
      throw locked(e.holder() == null ? "a local carryon command" : e.holder(), null);
    }
    held = new Held(newId(), owner, ttlSeconds, folderLock, expiry(ttlSeconds));
    return new Grant(held.id, held.expires);
  }

  /** Renews lock {@code id} for another of its terms. */
  synchronized Grant renew(String id) throws IOException {
    Held h = current(id);
    h.expires = expiry(h.ttlSeconds);
    return new Grant(h.id, h.expires);
  }

  /** Releases lock {@code id}; nothing happens when it is not held. */
  synchronized void release(String id) throws IOException {
    if (held != null && held.id.equals(id)) {
      drop();
    }
  }

  /**
   * Marks a changing request made with lock {@code id} as running until the returned handle is
   * closed; the lock does not expire meanwhile.
   *
   * @throws ProtocolException {@code lock-required} when {@code id} is not the lock held
   */
  synchronized InFlight use(String id) throws IOException {
    Held h = current(id);
    h.inFlight++;
    return () -> {
      synchronized (LockTable.this) {
        h.inFlight--;
        LockTable.this.notifyAll();
      }
    };
  }

  /** Releases the lock when its time is up and no request made with it runs. */
  synchronized void expireIfDue() throws IOException {
    if (held != null && held.inFlight == 0 && !clock.instant().isBefore(held.expires)) {
      drop();
    }
  }

  /** Releases whatever is held (the server stops). */
  synchronized void close() throws IOException {
    if (held != null) {
      drop();
    }
  }

  /** The holder's words and expiry, or null when free; for the browser page. */
  synchronized Map<String, Object> holder() {
    if (held == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("holder", held.owner);
    m.put("expires", held.expires.toString());
    return m;
  }

  private Held current(String id) throws IOException {
    expireIfDue();
    if (id == null || held == null || !held.id.equals(id)) {
      throw new ProtocolException(
          ErrorCode.LOCK_REQUIRED,
          (id == null ? "no lock id given (header " + Protocol.LOCK_HEADER + ")"
              : "lock " + id + " is not held (it expired, was released, or was never taken)")
              + ": take the carrier's write lock first");
    }
    return held;
  }

  private void drop() throws IOException {
    Held h = held;
    held = null;
    h.folderLock.close();
  }

  private static String newId() {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return Hex.of(id);
  }

  private Instant expiry(int ttlSeconds) {
    return clock.instant().plusSeconds(ttlSeconds);
  }

  private static ProtocolException locked(String holder, Instant expires) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("holder", holder);
    if (expires != null) {
      fields.put("expires", expires.toString());
    }
    return new ProtocolException(
        ErrorCode.LOCKED,
        "the carrier is in use by another carryon command (" + holder + ")"
            + (expires == null ? "" : ", its lock expires at " + expires + " unless renewed"),
        fields,
        null);
  }

  /** A running request's hold on the lock; closing it ends the request's hold. */
  interface InFlight extends AutoCloseable {
    @Override
    void close();
  }
}
