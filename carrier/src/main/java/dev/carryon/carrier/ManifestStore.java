package dev.carryon.carrier;

import dev.carryon.carrier.keys.CarrierKey;
import dev.carryon.carrier.keys.KeySlots;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.ManifestChangedException;
import dev.carryon.carrier.storage.StoredFile;
import dev.carryon.carrier.storage.VersionedManifest;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A carrier's committed manifest, as last read or written, with the storage it lives in. {@link
 * #commit} is the one commit point of every change: the storage replaces the manifest only if it is
 * still the version this store read ({@link CarrierStorage#replaceManifest}, durable when it
 * returns), so a commit never overwrites one another host or command made in between.
 */
final class ManifestStore {
  /** Reads of a manifest that changed under the reader before one is reported as broken. */
  private static final int READ_ATTEMPTS = 5;

  /** The carrier's bytes. */
  private final CarrierStorage storage;

  /** Source of the times commits record (generations, leases). */
  private final Clock clock;

  /** The committed manifest, as last read or written. */
  private Manifest manifest;

  /** Its version as the storage names it; null before the first commit of a new carrier. */
  private String version;

  /** An encrypted carrier's master key: every commit is sealed with it; null for a plain one. */
  private CarrierKey key;

  /**
   * An encrypted carrier's manifest as read, its seal not checked yet ({@link #readUnproven}), and
   * the means to the key that checks it; null once checked, and for a plain carrier.
   */
  private Unproven unproven;

  /** A stored manifest and its carrier's key, still being unlocked. */
  private record Unproven(byte[] stored, CarrierKeys.Unlocking unlocking) {
    /** The key, once it proved the manifest sealed with it; refuses a manifest altered. */
    CarrierKey check(CarrierStorage storage) throws IOException {
      CarrierKey k = unlocking.key();
      ManifestSeal.check(stored, k, CarrierFiles.where(storage, CarrierFiles.MANIFEST));
      return k;
    }
  }

  private ManifestStore(
      CarrierStorage storage, Clock clock, Manifest manifest, String version, CarrierKey key,
      Unproven unproven) {
    this.storage = storage;
    this.clock = clock;
    this.manifest = manifest;
    this.version = version;
    this.key = key;
    this.unproven = unproven;
  }

  /**
   * Reads and checks the committed manifest. A reader takes no lock: each read sees one whole
   * manifest, but a writer may commit a newer one and delete a file the older one names between our
   * reading it and checking its files; so a missing file is only reported when the manifest did not
   * change meanwhile.
   */
  static ManifestStore read(CarrierStorage storage, Clock clock) throws IOException {
    return read(storage, clock, true, parsed -> {}, Set.of());
  }

  /**
   * As {@link #read}, under the write lock: {@value CarrierFiles#TMP}, which the recovery looks at
   * next, is listed in the same request as the files the manifest names (over a link, a request
   * fewer before the command's first write).
   */
  static ManifestStore readLocked(CarrierStorage storage, Clock clock) throws IOException {
    return read(storage, clock, true, parsed -> {}, Set.of(CarrierFiles.TMP));
  }

  /**
   * As {@link #read}, but an encrypted carrier's manifest is not yet proved sealed by its key, whose
   * KDF may still run ({@link CarrierKeys#unlockAhead}): it is parsed and checked as strictly as a
   * plain carrier's, so its fields can be looked at meanwhile, and {@link #prove} (which the key,
   * every commit and every open for write wait for) refuses it if it was altered. {@code parsed} is
   * handed each manifest read as soon as it is parsed ({@link Carrier#openUnproven(CarrierStorage,
   * Consumer)}).
   */
  static ManifestStore readUnproven(
      CarrierStorage storage, Clock clock, Consumer<Manifest> parsed) throws IOException {
    return read(storage, clock, false, parsed, Set.of());
  }

  private static ManifestStore read(
      CarrierStorage storage,
      Clock clock,
      boolean prove,
      Consumer<Manifest> parsed,
      Set<String> alsoListed)
      throws IOException {
    String source = CarrierFiles.where(storage, CarrierFiles.MANIFEST);
    for (int attempt = 1; ; attempt++) {
      VersionedManifest found = storage.readManifest().orElseThrow(() -> notACarrier(storage));
      Manifest m = null;
      CarrierFormatException unreadable = null;
      try {
        m = ManifestCodec.parse(found.bytes(), source);
      } catch (CarrierFormatException e) {
        unreadable = e; // reported once the seal, if any, is proved: an altered manifest is named so
      }
      TreeSet<String> names = new TreeSet<>();
      if (m != null) {
        parsed.accept(m);
        names.addAll(m.files().keySet());
        if (m.chunks() != null) {
          m.chunks().byImage().values().forEach(list -> names.add(ChunkLists.fileOf(list)));
        }
      }
      // The key slots are looked for in the listing that finds the named files: a request fewer.
      TreeSet<String> listedFor = new TreeSet<>(names);
      listedFor.add(KeySlots.FILE);
      Map<String, Long> present = stored(storage, listedFor, alsoListed);
      Long slots = present.remove(KeySlots.FILE);
      Optional<CarrierKeys.Unlocking> unlocking =
          CarrierKeys.unlocking(
              storage, slots == null ? OptionalLong.empty() : OptionalLong.of(slots));
      // Sealed without key slots: an encrypted carrier that lost them, or a forgery.
      if (unlocking.isEmpty() && ManifestSeal.isSealed(found.bytes())) {
        throw new CarrierException(source
            + ": the manifest is sealed as an encrypted carrier's but the carrier has no key slots ("
            + KeySlots.FILE + "); refused");
      }
      Unproven unproven = unlocking.map(u -> new Unproven(found.bytes(), u)).orElse(null);
      CarrierKey key = null;
      if (prove && unproven != null) {
        key = unproven.check(storage);
        unproven = null;
      }
      if (unreadable != null) {
        throw unreadable;
      }
      Optional<String> missing = names.stream().filter(n -> !present.containsKey(n)).findFirst();
      if (missing.isEmpty()) {
        return new ManifestStore(storage, clock, m, found.version(), key, unproven);
      }
      // A writer may have committed and deleted the file since the manifest was read.
      if (attempt == READ_ATTEMPTS || found.version().equals(versionNow(storage))) {
        throw new CarrierFormatException(
            CarrierFormatException.Kind.MISSING_FILE,
            source,
            "references " + missing.get() + ", which does not exist in " + storage.location());
      }
    }
  }

  /** A store for a carrier that has no manifest yet; refuses when it has one. */
  static ManifestStore empty(CarrierStorage storage, Clock clock) throws IOException {
    if (storage.readManifest().isPresent()) {
      throw new CarrierException(
          storage.location() + ": already a carrier (it has a " + CarrierFiles.MANIFEST + ")");
    }
    return new ManifestStore(storage, clock, null, null, null, null);
  }

  /**
   * Makes the carrier, which has no manifest yet, an encrypted one: key slots for {@code
   * passphrase} are written, and every commit from now on is sealed.
   */
  void encrypt(char[] passphrase) throws IOException {
    if (manifest != null) {
      throw new IllegalStateException("a carrier is encrypted when it is made, not later");
    }
    key = CarrierKeys.create(storage, passphrase);
  }

  /**
   * Waits for an encrypted carrier's key and checks the seal of the manifest read with it; refuses a
   * wrong passphrase and an altered manifest. Nothing once checked, and for a plain carrier.
   */
  void prove() throws IOException {
    if (unproven != null) {
      key = unproven.check(storage);
      unproven = null;
    }
  }

  /** Whether the carrier is encrypted, its key unlocked or not. */
  boolean encrypted() {
    return key != null || unproven != null;
  }

  /** The master key of an encrypted carrier; empty for a plain one. */
  Optional<CarrierKey> key() {
    requireProven();
    return Optional.ofNullable(key);
  }

  /** The secret of an encrypted carrier's disk images ({@link CarrierKey#diskSecret}), or null. */
  byte[] diskSecret() {
    requireProven();
    return key == null ? null : key.diskSecret();
  }

  private void requireProven() {
    if (unproven != null) {
      throw new IllegalStateException(
          storage.location() + ": the manifest's seal is not checked yet (prove it first)");
    }
  }

  /** The sizes of those of {@code names} (carrier file names) the storage holds. */
  static Map<String, Long> stored(CarrierStorage storage, Collection<String> names)
      throws IOException {
    return stored(storage, names, Set.of());
  }

  /**
   * As {@link #stored(CarrierStorage, Collection)}, with {@code alsoListed} listed in the same
   * request (for a storage that keeps listings: {@link CarrierStorage#lists}).
   */
  private static Map<String, Long> stored(
      CarrierStorage storage, Collection<String> names, Set<String> alsoListed)
      throws IOException {
    TreeSet<String> folders = new TreeSet<>(alsoListed);
    for (String name : names) {
      int slash = name.indexOf('/');
      folders.add(slash < 0 ? "" : name.substring(0, slash));
    }
    Map<String, Long> sizes = new HashMap<>();
    for (List<StoredFile> listed : storage.lists(folders).values()) {
      for (StoredFile f : listed) {
        sizes.put(f.name(), f.size());
      }
    }
    sizes.keySet().retainAll(names);
    return sizes;
  }

  CarrierStorage storage() {
    return storage;
  }

  /** The clock commits are stamped by. */
  Clock clock() {
    return clock;
  }

  /** Now, as a commit records it (milliseconds, as the manifest keeps times). */
  Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** The committed manifest; null only for a new carrier before its first commit. */
  Manifest manifest() {
    return manifest;
  }

  /**
   * Makes {@code next} the committed manifest, if the manifest is still the one this store read or
   * last wrote; refuses with a {@link CarrierException} and commits nothing otherwise. The chunk
   * lists of images whose content {@code next} changes are written and forced first ({@link
   * ChunkListStore#attach}).
   */
  void commit(Manifest next) throws IOException {
    commit(next, Map.of());
  }

  /**
   * Like {@link #commit(Manifest)}, where the caller wrote the lists {@code listedAhead} (image to
   * list hash) itself ({@link ChunkListStore#writeAhead}).
   */
  void commit(Manifest next, Map<String, String> listedAhead) throws IOException {
    requireProven();
    next = ChunkListStore.attach(storage, manifest, next, listedAhead);
    try {
      byte[] bytes = ManifestCodec.encode(next);
      version = storage.replaceManifest(key == null ? bytes : ManifestSeal.seal(bytes, key), version);
    } catch (ManifestChangedException e) {
      throw new CarrierBusyException(
          storage.location() + ": another command committed to the carrier while this one held its"
              + " lock (the lock expired?); nothing more was committed by this one. Run it again",
          e);
    }
    manifest = next;
  }

  private static String versionNow(CarrierStorage storage) throws IOException {
    Optional<VersionedManifest> now = storage.readManifest();
    return now.map(VersionedManifest::version).orElse(null);
  }

  private static CarrierException notACarrier(CarrierStorage storage) {
    return new CarrierException(
        storage.location() + ": not a carrier (no " + CarrierFiles.MANIFEST + ")");
  }
}
