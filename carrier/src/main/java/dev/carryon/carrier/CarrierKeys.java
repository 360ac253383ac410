package dev.carryon.carrier;

import dev.carryon.carrier.keys.CarrierKey;
import dev.carryon.carrier.keys.KeySlots;
import dev.carryon.carrier.keys.SealedChunks;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * An encrypted carrier's keys on its storage: {@link KeySlots#FILE} beside the manifest, and the
 * master key unlocked from it with the passphrase this process was given ({@link #use}).
 *
 * <p>The key slots live in a file of their own, not in the manifest: every session end rewrites the
 * manifest, and a slot that a commit could drop (a bug, a host that rewrites the manifest) would
 * lock the owner out of the carrier for good. Only {@code init --encrypt} and {@code carryon
 * passphrase} write the file, each by a durable write beside it and an atomic rename over it; a
 * manifest commit never touches it. A carrier with the file is encrypted: its manifest must carry
 * a seal ({@link ManifestSeal}) the unlocked key confirms.
 */
public final class CarrierKeys {
  /** Where this process gets a carrier's passphrase; the caller owns (and may wipe) the array. */
  @FunctionalInterface
  public interface Passphrases {
    /** The passphrase of the encrypted carrier at {@code carrier} (its location, for a prompt). */
    char[] passphrase(String carrier) throws IOException;
  }

  /**
   * A master key unlocked by some process of this user, as it is handed between them.
   *
   * @param slots the SHA-256 (hex) of the key slots file it was unlocked from
   * @param key the master key
   */
  public record Unlocked(String slots, CarrierKey key) {}

  /** The key slots file never grows past this; a larger one is refused unread. */
  private static final int MAX_FILE = 64 * 1024;

  /** Refuses: a process that was told of no passphrase cannot open an encrypted carrier. */
  private static final Passphrases NONE =
      carrier -> {
        throw new CarrierException(
            carrier + ": the carrier is encrypted and no passphrase was given");
      };

  private static volatile Passphrases passphrases = NONE;

  /** Master keys unlocked by this process, by the SHA-256 of the key slots file they came from. */
  private static final Map<String, CarrierKey> UNLOCKED = new ConcurrentHashMap<>();

  private CarrierKeys() {}

  /** Makes {@code source} this process's passphrase source for encrypted carriers. */
  public static void use(Passphrases source) {
    passphrases = source;
  }

  /** Unlocks started ahead ({@link #unlockAhead}), by the SHA-256 of their key slots file. */
  private static final Map<String, FutureTask<CarrierKey>> AHEAD = new ConcurrentHashMap<>();

  /**
   * Forgets the keys this process unlocked, as a new process would start: between the commands a
   * host agent runs, none of which may open a carrier with another's passphrase (and tests).
   */
  public static void forget() {
    UNLOCKED.clear();
    AHEAD.clear();
  }

  /** Whether the carrier in {@code storage} is encrypted (it has key slots). */
  public static boolean isEncrypted(CarrierStorage storage) throws IOException {
    return storage.size(KeySlots.FILE).isPresent();
  }

  /** An encrypted carrier's master key, to be had once its KDF is done. */
  @FunctionalInterface
  interface Unlocking {
    /** The key: known, awaited from the unlock started ahead, or unlocked now; or its refusal. */
    CarrierKey key() throws IOException;
  }

  /**
   * The means to the master key of the carrier in {@code storage}, its key slots read now and
   * unlocked when {@link Unlocking#key} is first called (or by the unlock started ahead): this
   * process's passphrase source is asked once per key slots file, and a wrong passphrase is
   * refused. Empty for a plain carrier.
   *
   * @param listed the key slots file's size as the carrier's top folder was just listed; empty
   *     when the listing lacks it (a plain carrier)
   */
  static Optional<Unlocking> unlocking(CarrierStorage storage, OptionalLong listed)
      throws IOException {
    String source = CarrierFiles.where(storage, KeySlots.FILE);
    Optional<byte[]> slots = readSlots(storage, source, listed);
    if (slots.isEmpty()) {
      return Optional.empty();
    }
    byte[] bytes = slots.get();
    String id = Hex.sha256(bytes);
    return Optional.of(
        () -> {
          CarrierKey known = UNLOCKED.get(id);
          if (known != null) {
            return known;
          }
          FutureTask<CarrierKey> ahead = AHEAD.get(id);
          return ahead != null ? await(ahead) : open(storage, bytes, id, source);
        });
  }

  /**
   * Starts unlocking the carrier in {@code storage} (asking for its passphrase, then the key
   * slots' KDF) on a thread of its own, so that the KDF runs while the caller does what needs no
   * key; the carrier's first {@link Unlocking#key} waits for it and gets its key or its refusal.
   * Nothing for a plain carrier or one this process already unlocked; a key slots file that cannot
   * be read is left for that unlock to report. An unlock ahead is a resume's, whose next step is the sealed
   * RAM state: the state's cipher is readied ({@link SealedChunks#prepare}) beside the KDF.
   */
  public static void unlockAhead(CarrierStorage storage) {
    String source = CarrierFiles.where(storage, KeySlots.FILE);
    byte[] bytes;
    try {
      Optional<byte[]> slots = readSlots(storage, source);
      if (slots.isEmpty()) {
        return;
      }
      bytes = slots.get();
    } catch (IOException e) {
      return;
    }
    SealedChunks.prepare();
    String id = Hex.sha256(bytes);
    FutureTask<CarrierKey> task = new FutureTask<>(() -> open(storage, bytes, id, source));
    if (!UNLOCKED.containsKey(id) && AHEAD.putIfAbsent(id, task) == null) {
      Thread t = new Thread(task, "unlock " + storage.location());
      t.setDaemon(true);
      t.start();
    }
  }

  /** The key an unlock started ahead gave, or its refusal. */
  private static CarrierKey await(FutureTask<CarrierKey> ahead) throws IOException {
    try {
      return ahead.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while the carrier's key slots were opened");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Asks for the passphrase and opens the key slots {@code bytes} (whose SHA-256 is {@code id}). */
  private static CarrierKey open(CarrierStorage storage, byte[] bytes, String id, String source)
      throws IOException {
    KeySlots slots = KeySlots.parse(bytes, source);
    char[] passphrase = passphrases.passphrase(storage.location());
    try {
      CarrierKey key = slots.unlock(passphrase, source);
      UNLOCKED.put(id, key);
      return key;
    } finally {
      Arrays.fill(passphrase, '\0');
    }
  }

  /**
   * The master key this process unlocked for the carrier in {@code storage}, to hand to the session
   * keeper; empty for a plain carrier, or when this process has not unlocked it.
   */
  public static Optional<Unlocked> unlocked(CarrierStorage storage) throws IOException {
    return readSlots(storage, CarrierFiles.where(storage, KeySlots.FILE))
        .map(Hex::sha256)
        .flatMap(id -> Optional.ofNullable(UNLOCKED.get(id)).map(k -> new Unlocked(id, k)));
  }

  /**
   * Takes {@code key}, unlocked by another process of this user (the session keeper holds the one
   * {@code resume} unlocked, for {@code end}): a carrier whose key slots file is still the one it
   * came from opens without asking for the passphrase. The manifest's seal still has to check
   * under it; a key slots file changed since asks again.
   */
  public static void accept(Unlocked key) {
    UNLOCKED.put(key.slots(), key.key());
  }

  /**
   * The key slots file's bytes ({@code source} names it), its size checked before it is read;
   * empty for a plain carrier, which has none.
   */
  private static Optional<byte[]> readSlots(CarrierStorage storage, String source)
      throws IOException {
    return readSlots(storage, source, storage.size(KeySlots.FILE));
  }

  /** As {@link #readSlots(CarrierStorage, String)}, the file's size known ({@code found}). */
  private static Optional<byte[]> readSlots(CarrierStorage storage, String source, OptionalLong found)
      throws IOException {
    if (found.isEmpty()) {
      return Optional.empty();
    }
    long size = found.getAsLong();
    if (size > MAX_FILE) {
      throw new CarrierException(source + ": " + size + " bytes, more than key slots"
          + " ever take (" + MAX_FILE + "); refused unread");
    }
    try (InputStream in = storage.openRead(KeySlots.FILE, 0)) {
      return Optional.of(in.readNBytes(MAX_FILE));
    }
  }

  /**
   * Writes fresh key slots for {@code passphrase} onto a new carrier and returns its master key;
   * durable when it returns.
   */
  static CarrierKey create(CarrierStorage storage, char[] passphrase) throws IOException {
    KeySlots slots = KeySlots.create(passphrase);
    byte[] bytes = slots.encode();
    write(storage, bytes);
    CarrierKey key = slots.unlock(passphrase, KeySlots.FILE);
    UNLOCKED.put(Hex.sha256(bytes), key);
    return key;
  }

  /**
   * Replaces the passphrase {@code old} of the encrypted carrier in {@code storage} by {@code
   * next}: only the key slots are rewritten (the master key, and so every file, stays). The caller
   * holds the carrier's write lock. A wrong {@code old} is refused and nothing is written.
   */
  public static void changePassphrase(CarrierStorage storage, char[] old, char[] next)
      throws IOException {
    String source = CarrierFiles.where(storage, KeySlots.FILE);
    byte[] bytes =
        readSlots(storage, source)
            .orElseThrow(
                () ->
                    new CarrierException(storage.location() + ": not an encrypted carrier (no "
                        + KeySlots.FILE + "); it has no passphrase to change"));
    write(storage, KeySlots.parse(bytes, source).rewrap(old, next, source).encode());
  }

  /** Writes {@code bytes} as the key slots file: beside it, forced, renamed over it, folder forced. */
  private static void write(CarrierStorage storage, byte[] bytes) throws IOException {
    String next = CarrierFiles.TMP + "/" + KeySlots.FILE + ".new";
    storage.makeFolder(CarrierFiles.TMP);
    storage.write(next, 0, ByteBuffer.wrap(bytes));
    storage.truncate(next, bytes.length); // a cut attempt's leftover may have been longer
    storage.force(next); // whole on stable storage before it replaces the slots that open the key
    storage.rename(next, KeySlots.FILE);
    storage.forceFolder("");
  }
}
