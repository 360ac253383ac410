package dev.carryon.carrier;

import dev.carryon.carrier.keys.CarrierKey;
import dev.carryon.carrier.keys.KeySlots;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.StorageLockedException;
import dev.carryon.cow.ImageChain;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A carrier: its manifest, generations, lease and files, wherever its {@link CarrierStorage} keeps
 * them (layout and protocol in {@link dev.carryon.carrier the package doc}). Every file is reached
 * through the storage; what must read carrier files as local files gets them from {@link
 * #localFiles}.
 *
 * <p>{@link #open} gives a read-only view and takes no lock: it may be used while another process
 * writes the carrier (it sees one committed manifest or the next, never a mix). {@link
 * #openForWrite} and {@link #create} hold the storage's write lock until {@link #close} and, on
 * opening, finish or roll back work a cut left behind ({@link Recovery}). Every commit replaces the
 * manifest only if it is still the version this carrier read or last wrote. The storage stays the
 * caller's: closing a carrier does not close it.
 */
public final class Carrier implements AutoCloseable {
  /** The committed manifest and the storage it lives in. */
  private final ManifestStore store;

  /** Held while writable; null when read-only. */
  private final StorageLock lock;

  /**
   * The chunk lists read, by their SHA-256: named by their content, so one read is good for as long
   * as a manifest names it, and the open for write that follows a read ({@link #forWrite}) reads
   * none of them again (over a link, a request each).
   */
  private final Map<String, ChunkList> listsRead;

  private Carrier(ManifestStore store, StorageLock lock) {
    this(store, lock, new ConcurrentHashMap<>());
  }

  private Carrier(ManifestStore store, StorageLock lock, Map<String, ChunkList> listsRead) {
    this.store = store;
    this.lock = lock;
    this.listsRead = listsRead;
  }

  /** Opens a carrier to read it: the manifest is read and checked, nothing is written. */
  public static Carrier open(CarrierStorage storage) throws IOException {
    return new Carrier(ManifestStore.read(storage, Clock.systemUTC()), null);
  }

  /**
   * As {@link #open}, without waiting for an encrypted carrier's key, whose KDF runs meanwhile
   * ({@link CarrierKeys#unlockAhead}): the manifest is checked as strictly as a plain carrier's, so
   * what it says can be checked further at once, but it is not proved unaltered until {@link
   * #prove}. Its keys and {@link #forWrite} wait for that; a caller refusing the carrier for what
   * the manifest says proves it first, so that an altered manifest is named as such.
   */
  public static Carrier openUnproven(CarrierStorage storage) throws IOException {
    return openUnproven(storage, parsed -> {});
  }

  /**
   * As {@link #openUnproven(CarrierStorage)}, handing {@code parsed} the manifest as soon as it is
   * parsed, before the files it names are looked for on the storage (over a link, a listing per
   * folder): a caller that will read one of them can start meanwhile. It may be handed a second
   * manifest (one replaced while it was read), and a manifest it was handed may still be refused;
   * what it started is its own to drop then.
   */
  public static Carrier openUnproven(CarrierStorage storage, Consumer<Manifest> parsed)
      throws IOException {
    return new Carrier(ManifestStore.readUnproven(storage, Clock.systemUTC(), parsed), null);
  }

  /**
   * Waits for an encrypted carrier's key and checks its manifest's seal: refuses a wrong passphrase
   * or an altered manifest (nothing is written). Nothing for a carrier already proved or plain.
   */
  public void prove() throws IOException {
    store.prove();
  }

  /**
   * Opens a carrier to change it: takes its write lock for {@code command} (e.g. {@code "carryon
   * end"}, shown with this process and host to anyone refused meanwhile), then recovers from any
   * cut. Nothing is written when the manifest is refused.
   */
  public static Carrier openForWrite(CarrierStorage storage, String command) throws IOException {
    return openForWrite(storage, command, Clock.systemUTC());
  }

  static Carrier openForWrite(CarrierStorage storage, String command, Clock clock)
      throws IOException {
    ManifestStore.read(storage, clock);
    return lockAndRecover(storage, command, clock, new ConcurrentHashMap<>());
  }

  /**
   * This carrier, opened to read, opened again to change it: as {@link #openForWrite} without its
   * first read of the manifest (this carrier's own read already refused a bad one), which saves a
   * command that reads before it writes (an {@code end}) a round of requests over a link. The
   * manifest is read again under the lock all the same.
   */
  public Carrier forWrite(String command) throws IOException {
    if (lock != null) {
      throw new IllegalStateException("this carrier is already open for write");
    }
    // A wrong passphrase or an altered manifest takes no lock.
    store.prove();
    return lockAndRecover(store.storage(), command, store.clock(), listsRead);
  }

  private static Carrier lockAndRecover(
      CarrierStorage storage, String command, Clock clock, Map<String, ChunkList> listsRead)
      throws IOException {
    StorageLock lock = lock(storage, command);
    try {
      // Read again under the lock: another command may have committed in between.
      ManifestStore store = ManifestStore.readLocked(storage, clock);
      Recovery.recover(store);
      return new Carrier(store, lock, listsRead);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Makes a new carrier in {@code storage} (a folder is created if absent) holding generation 1:
   * the base disk (qcow2 or raw, standing alone) and the other files of {@code init} are copied onto
   * it, never changed; the COW is made empty over the base (qcow2 v3, 64 KiB clusters) unless
   * {@code init} gives one. Refuses a storage that already holds a carrier.
   */
  public static Carrier create(CarrierStorage storage, CarrierInit init, Progress progress)
      throws IOException {
    return create(storage, init, progress, Clock.systemUTC());
  }

  /**
   * Like {@link #create(CarrierStorage, CarrierInit, Progress)}, an encrypted carrier: a random
   * master key in key slots opened by {@code passphrase} ({@link CarrierKeys}), and a sealed
   * manifest.
   */
  public static Carrier createEncrypted(
      CarrierStorage storage, CarrierInit init, Progress progress, char[] passphrase)
      throws IOException {
    return create(storage, init, progress, Clock.systemUTC(), passphrase);
  }

  static Carrier create(CarrierStorage storage, CarrierInit init, Progress progress, Clock clock)
      throws IOException {
    return create(storage, init, progress, clock, null);
  }

  /** Makes a carrier, an encrypted one when {@code passphrase} is given (not null). */
  static Carrier create(CarrierStorage storage, CarrierInit init, Progress progress,
      Clock clock, char[] passphrase) throws IOException {
    ManifestStore.empty(storage, clock);
    CarrierCreation.checkSources(init);
    storage.makeFolder("");
    StorageLock lock = lock(storage, "carryon init");
    try {
      ManifestStore store = ManifestStore.empty(storage, clock);
      if (passphrase != null) {
        store.encrypt(passphrase);
      }
      CarrierCreation.run(store, init, progress);
      return new Carrier(store, lock);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Replaces the passphrase {@code old} of this encrypted carrier by {@code next}, rewriting only
   * its key slots ({@link CarrierKeys#changePassphrase}); needs the write lock.
   */
  public void changePassphrase(char[] old, char[] next) throws IOException {
    requireWritable();
    CarrierKeys.changePassphrase(store.storage(), old, next);
  }

  /**
   * The key this encrypted carrier derives for {@code label} ({@link CarrierKey}); empty for a
   * plain carrier.
   */
  public Optional<byte[]> key(String label) {
    return store.key().map(k -> k.derive(label));
  }

  /**
   * The secret that unlocks this encrypted carrier's disk images ({@link CarrierKey#diskSecret}:
   * what QEMU's secret object and the engine are given); empty for a plain carrier.
   */
  public Optional<byte[]> diskSecret() {
    return Optional.ofNullable(store.diskSecret());
  }

  /** Where the carrier lives, as the user named it: a folder or a URL. */
  public String location() {
    return store.storage().location();
  }

  /** Where carrier file {@code name} lives, for people: its local file, or its name under the URL. */
  public String describe(String name) {
    return CarrierFiles.where(store.storage(), name);
  }

  /** The committed manifest. */
  public Manifest manifest() {
    return store.manifest();
  }

  /** The generation a plain resume continues from. */
  public Generation current() {
    return manifest().current();
  }

  /** The kept generations (checkpoints), oldest first. */
  public List<Generation> checkpoints() {
    return manifest().generations();
  }

  /** The kept generation numbered {@code number}. */
  public Generation checkpoint(long number) throws CarrierException {
    return Generations.kept(manifest(), location(), number);
  }

  /** The newest kept generation committed at or before {@code time}. */
  public Generation checkpointAt(Instant time) throws CarrierException {
    return Generations.keptAt(manifest(), location(), time);
  }

  /** Checks every file the manifest references; see {@link #verify(Progress)}. */
  public Verification verify() throws IOException {
    return verify(Progress.NONE);
  }

  /**
   * Checks every file the manifest references: its size and SHA-256; for every image of a kept
   * chain, its qcow2 structure and that its header names the image below it in the chain as its
   * backing file and has the chain's virtual size (details in {@link Verifier}).
   */
  public Verification verify(Progress progress) throws IOException {
    return verifier().check(manifest().files().keySet(), manifest().generations(), progress);
  }

  /** Like {@link #verify(Progress)}, for the files generation {@code g} is resumed from only. */
  public Verification verify(Generation g, Progress progress) throws IOException {
    return verifier().check(filesOf(g), List.of(g), progress);
  }

  /**
   * Like {@link #verify(Generation, Progress)}, without the generation's RAM state: {@code resume}
   * checks the state as it streams into QEMU, and reading it twice would double the cost.
   */
  public Verification verifyForResume(Generation g, Progress progress) throws IOException {
    List<String> names = filesOf(g);
    names.remove(g.state());
    return verifier().check(names, List.of(g), progress);
  }

  /**
   * Checks the size and SHA-256 of carrier files {@code names} only (files the manifest
   * references), not the structure of any image: for what resume reads as whole files beside the
   * chain (the kernel, the initrd, a screenshot), whose images are checked chunk by chunk instead.
   */
  public Verification verifyFiles(List<String> names, Progress progress) throws IOException {
    return verifier().check(names, List.of(), progress);
  }

  /**
   * Opens carrier images {@code chain} (carrier names, base first: a kept generation's chain or the
   * start of one) read-only as one disk chain, each image backed by the one before it in the list
   * whatever its header names; an encrypted carrier's images are unlocked. The caller closes it.
   */
  public ImageChain openChain(List<String> chain) throws IOException {
    if (!startsAKeptChain(chain)) {
      throw new IllegalArgumentException(
          chain + " is not the start of a kept chain of " + location());
    }
    return CarrierImages.openChain(store.storage(), chain, store.diskSecret());
  }

  /**
   * The local files generation {@code g} runs from: a local folder's own files in place, else
   * copies {@code copies} gives (fetched as needed, {@code progress} told the bytes).
   */
  public LocalFiles localFiles(Generation g, LocalCopies copies, Progress progress)
      throws IOException {
    List<Path> chain = new ArrayList<>();
    for (String name : g.chain()) {
      chain.add(localCopy(name, copies, progress));
    }
    VmConfig vm = manifest().vm();
    return new LocalFiles(
        chain,
        vm.kernel() == null ? null : localCopy(vm.kernel(), copies, progress),
        vm.initrd() == null ? null : localCopy(vm.initrd(), copies, progress),
        g.screenshot() == null ? null : localCopy(g.screenshot(), copies, progress));
  }

  /**
   * Every file a whole copy of this carrier holds but its manifest (which goes last): the
   * manifest's files with their records, the chunk lists it names and an encrypted carrier's key
   * slots, those two with their size and SHA-256 as the storage holds them now (a list's name is
   * its hash; the key slots are checked by whoever unlocks them).
   */
  public SortedMap<String, FileRecord> filesOfACopy() throws IOException {
    SortedMap<String, FileRecord> files = new TreeMap<>(manifest().files());
    ChunkLists chunks = manifest().chunks();
    if (chunks != null) {
      for (String list : chunks.byImage().values()) {
        String name = ChunkLists.fileOf(list);
        files.put(name, Durable.hash(store.storage(), name));
      }
    }
    if (store.storage().size(KeySlots.FILE).isPresent()) {
      files.put(KeySlots.FILE, Durable.hash(store.storage(), KeySlots.FILE));
    }
    return files;
  }

  /**
   * The chunk list of {@code image}, an image of a kept chain: read from the carrier and checked
   * against the SHA-256 the manifest records for it and the image's recorded size, so every chunk
   * hash in it is as trusted as the manifest. Refuses a carrier without lists (not yet opened for
   * write by a carryon that makes them).
   */
  public ChunkList chunkList(String image) throws IOException {
    ChunkLists chunks = manifest().chunks();
    if (!manifest().keptImages().contains(image)) {
      throw new IllegalArgumentException(image + " is not an image of a kept chain of " + location());
    }
    if (chunks == null) {
      throw new CarrierException(
          location() + ": has no chunk lists yet (written by an older carryon); any command that"
              + " writes the carrier adds them");
    }
    String listSha256 = chunks.byImage().get(image);
    ChunkList list = listsRead.get(listSha256);
    if (list == null) {
      list = ChunkListStore.read(store.storage(), listSha256);
      listsRead.put(listSha256, list);
    }
    long recorded = manifest().files().get(image).size();
    if (list.imageSize() != recorded) {
      throw new CarrierException(
          describe(ChunkLists.fileOf(chunks.byImage().get(image))) + ": lists " + list.imageSize()
              + " bytes of " + image + ", whose record says " + recorded);
    }
    return list;
  }

  /**
   * The chunk list whose SHA-256 is {@code listSha256}, read from {@code storage} and checked
   * against that hash (and that it is well formed): for a process given the hash by one that
   * trusted the manifest naming it (the session keeper), which needs no manifest of its own.
   */
  public static ChunkList chunkList(CarrierStorage storage, String listSha256) throws IOException {
    return ChunkListStore.read(storage, listSha256);
  }

  /** Where carrier file {@code name} of {@code storage} lives, for messages: its file or URL. */
  public static String describe(CarrierStorage storage, String name) {
    return CarrierFiles.where(storage, name);
  }

  /**
   * Reads up to {@code dst.remaining()} bytes of {@code image}, an image of a kept chain, at {@code
   * offset}, as the storage holds them now and unchecked: a reader checks them against {@link
   * #chunkList}. Returns the count read, or -1 at the end.
   */
  public int readImage(String image, long offset, ByteBuffer dst) throws IOException {
    if (!manifest().keptImages().contains(image)) {
      throw new IllegalArgumentException(image + " is not an image of a kept chain of " + location());
    }
    return store.storage().read(image, offset, dst);
  }

  /**
   * The bytes of carrier file {@code name}, one the manifest references (a generation's state or
   * screenshot, say), as a stream the caller closes.
   */
  public InputStream openFile(String name) throws IOException {
    if (!manifest().files().containsKey(name)) {
      throw new IllegalArgumentException(name + " is not a file of " + location());
    }
    return store.storage().openRead(name, 0);
  }

  /**
   * Takes the lease for {@code sessionId} on {@code host}, or refuses with a {@link LeaseException}
   * naming the holder when another session holds it. Taking it again for the same session changes
   * nothing.
   */
  public Lease takeLease(HostIdentity host, String sessionId) throws IOException {
    requireWritable();
    Manifest next = Leases.taken(manifest(), location(), host, sessionId, store.now());
    if (next != manifest()) {
      store.commit(next);
    }
    return manifest().lease();
  }

  /** Releases the lease of {@code sessionId}; refuses if another session holds it. */
  public void releaseLease(HostIdentity host, String sessionId) throws IOException {
    requireWritable();
    if (manifest().lease() == null) {
      return;
    }
    Leases.requireHeld(manifest(), location(), host, sessionId);
    store.commit(manifest().withLease(null));
  }

  /** Breaks whatever lease is held, for a session known to be gone; returns it (or null). */
  public Lease breakLease() throws IOException {
    requireWritable();
    Lease held = manifest().lease();
    if (held != null) {
      store.commit(manifest().withLease(null));
    }
    return held;
  }

  /**
   * Refuses with a {@link LeaseException} naming the holder when a session holds the lease: {@code
   * action} (e.g. "sync") must not run while a session may still write the carrier.
   */
  public void requireFree(String action) throws LeaseException {
    Leases.requireFree(manifest(), location(), action);
  }

  /**
   * Records what a host image was last synced to, replacing the image's earlier record; refuses
   * while a session holds the lease.
   */
  public void recordSync(SyncRecord record) throws IOException {
    requireWritable();
    requireFree("recording a sync");
    store.commit(manifest().withSync(record));
  }

  /**
   * Resets the carrier: the current generation's chain above the base (the COW and its layers) is
   * merged into the base in place, the COW is replaced by an empty one and the layers are deleted;
   * then generation g+1 is committed in place of the current generation g: parent g, the bare base
   * and COW as its chain, reading exactly as g did, and g's state (so the next resume continues the
   * session). Sync records of g become records of g+1. Older generations are dropped first: their
   * chains cannot survive. Refuses while a session holds the lease. Crash-safe as {@link
   * PendingReset} describes; a cut reset is finished by the next {@link #openForWrite}.
   */
  public ResetResult reset() throws IOException {
    return reset(Progress.NONE);
  }

  /** {@link #reset()}, telling {@code progress} how far the merges into the base are. */
  public ResetResult reset(Progress progress) throws IOException {
    requireWritable();
    requireFree("reset");
    return CarrierReset.run(store, progress);
  }

  /**
   * Starts the end of a session that resumed generation {@code resumed} and holds the lease. The
   * new layer and state are then copied in through the returned {@link SessionEnd}.
   */
  public SessionEnd beginEnd(HostIdentity host, String sessionId, long resumed) throws IOException {
    requireWritable();
    Leases.requireHeld(manifest(), location(), host, sessionId);
    Generation parent = checkpoint(resumed);
    // Leftovers of an earlier, cut attempt: what this end copies in is kept to be continued (we
    // hold the lock, so none is being written), the rest deleted.
    Recovery.clearTmp(store);
    return new SessionEnd(
        store.storage(),
        host,
        sessionId,
        parent,
        manifest().currentGeneration() + 1,
        store.encrypted());
  }

  /**
   * Commits the generation of {@code end} atomically with the lease released: the layer and state
   * move into place, the manifest naming the new generation current is committed; then layers
   * shared by every kept generation are merged into the COW, and files no longer referenced are
   * deleted. A cut anywhere leaves the old generation or the new one. Refuses a layer whose header
   * does not name the resumed chain's top or whose virtual size is not the chain's.
   */
  public EndResult commitGeneration(SessionEnd end, String note) throws IOException {
    requireWritable();
    return EndCommit.commit(store, end, note);
  }

  /** Releases the carrier's write lock; a read-only carrier holds none. */
  @Override
  public void close() throws IOException {
    if (lock != null) {
      lock.close();
    }
  }

  /** The storage, for this package's tests. */
  CarrierStorage storage() {
    return store.storage();
  }

  private Verifier verifier() {
    return new Verifier(store.storage(), manifest(), store.encrypted());
  }

  /** The files generation {@code g} is resumed from: its chain, state, kernel and initrd. */
  private List<String> filesOf(Generation g) {
    List<String> names = new ArrayList<>(g.chain());
    if (g.state() != null) {
      names.add(g.state());
    }
    if (g.screenshot() != null) {
      names.add(g.screenshot());
    }
    VmConfig vm = manifest().vm();
    if (vm.kernel() != null) {
      names.add(vm.kernel());
    }
    if (vm.initrd() != null) {
      names.add(vm.initrd());
    }
    return names;
  }

  private boolean startsAKeptChain(List<String> chain) {
    for (Generation g : checkpoints()) {
      List<String> kept = g.chain();
      if (!chain.isEmpty()
          && chain.size() <= kept.size()
          && kept.subList(0, chain.size()).equals(chain)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A local file holding carrier file {@code name} (one the manifest references): the local
   * folder's own file in place, else the copy {@code copies} gives.
   */
  public Path localFile(String name, LocalCopies copies, Progress progress) throws IOException {
    if (!manifest().files().containsKey(name)) {
      throw new IllegalArgumentException(name + " is not a file of " + location());
    }
    return localCopy(name, copies, progress);
  }

  private Path localCopy(String name, LocalCopies copies, Progress progress) throws IOException {
    Optional<Path> local = store.storage().localFile(name);
    return local.isPresent()
        ? ownFile(local.get(), name)
        : copies.copyOf(store.storage(), name, manifest().files().get(name), progress);
  }

  /**
   * Refuses the local file of carrier file {@code name} unless it is a regular file inside the
   * carrier's folder (by its real path): carryon never makes links, and a link in a crafted carrier
   * would have QEMU open whatever it points at (its checksum limits that to files whose content the
   * carrier's maker knows, but a device or FIFO would still be opened).
   */
  private static Path ownFile(Path file, String name) throws IOException {
    Path folder = file;
    for (int i = name.split("/").length; i > 0; i--) {
      folder = folder.getParent();
    }
    Path real = file.toRealPath();
    String problem =
        !real.startsWith(folder.toRealPath())
            ? "leads out of the carrier, to " + real
            : Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS) ? null : "not a regular file";
    if (problem != null) {
      throw new CarrierException(
          file + " " + problem + ": a carrier holds its own files only, and QEMU would open this"
              + " one");
    }
    return file;
  }

  private void requireWritable() {
    if (lock == null) {
      throw new IllegalStateException(location() + " was opened read-only; use openForWrite");
    }
  }

  /**
   * Takes the storage's write lock, naming {@code command}, this process and this host as its
   * owner; refuses when another holds it.
   */
  private static StorageLock lock(CarrierStorage storage, String command) throws IOException {
    String owner =
        command + ", pid " + ProcessHandle.current().pid() + " on " + HostIdentity.localHostName();
    try {
      return storage.lock(owner);
    } catch (StorageLockedException e) {
      throw new CarrierBusyException(e.getMessage(), e);
    }
  }
}
