package dev.carryon.carrier;

import dev.carryon.cow.CheckReport;
import dev.carryon.cow.Checker;
import dev.carryon.cow.DiskImage;
import dev.carryon.cow.ImageException;
import dev.carryon.cow.ImageFormat;
import dev.carryon.cow.Merger;
import dev.carryon.cow.ProgressListener;
import dev.carryon.cow.Qcow2Creator;
import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A carrier folder: its manifest, generations, lease and files (layout in {@link
 * dev.carryon.carrier the package doc}).
 *
 * <p>{@link #open} gives a read-only view and takes no lock: it may be used while another process
 * writes the carrier (it sees one committed manifest or the next, never a mix). {@link
 * #openForWrite} and {@link #create} hold the carrier's lock until {@link #close} and, on opening,
 * finish or roll back work a cut left behind: a pending merge is redone and committed, and files no
 * committed manifest references (everything in {@value CarrierFiles#TMP}, unreferenced layers and
 * states) are deleted. Layers are merged with cow-merge's {@link Merger}.
 */
public final class Carrier implements AutoCloseable {
  /** Absolute carrier folder. */
  private final Path folder;

  /** Its manifest on storage. */
  private final ManifestStore store;

  /** Source of creation times and lease times. */
  private final Clock clock;

  /** Held while writable; null when read-only. */
  private final CarrierLock lock;

  /** The committed manifest, as last read or written. */
  private Manifest manifest;

  private Carrier(Path folder, Manifest manifest, Clock clock, CarrierLock lock) {
    this.folder = folder;
    this.store = new ManifestStore(folder);
    this.manifest = manifest;
    this.clock = clock;
    this.lock = lock;
  }

  /** Opens a carrier to read it: the manifest is read and checked, nothing is written. */
  public static Carrier open(Path folder) throws IOException {
    Path f = absolute(folder);
    return new Carrier(f, readManifest(f), Clock.systemUTC(), null);
  }

  /**
   * Opens a carrier to change it: takes its lock, then recovers from any cut (see the class doc).
   * Nothing is written when the manifest is refused.
   */
  public static Carrier openForWrite(Path folder) throws IOException {
    return openForWrite(folder, Clock.systemUTC());
  }

  static Carrier openForWrite(Path folder, Clock clock) throws IOException {
    Path f = absolute(folder);
    readManifest(f);
    CarrierLock lock = CarrierLock.take(f);
    try {
      // Read again under the lock: another command may have committed in between.
      Carrier c = new Carrier(f, readManifest(f), clock, lock);
      c.recover();
      return c;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Makes a new carrier in {@code folder} (created if absent) holding generation 1: the base disk
   * (qcow2 or raw, standing alone) and the other files of {@code init} are copied onto it, never
   * changed; the COW is made empty over the base (qcow2 v3, 64 KiB clusters) unless {@code init}
   * gives one.
   */
  public static Carrier create(Path folder, CarrierInit init, Progress progress)
      throws IOException {
    return create(folder, init, progress, Clock.systemUTC());
  }

  static Carrier create(Path folder, CarrierInit init, Progress progress, Clock clock)
      throws IOException {
    Path f = absolute(folder);
    Map<String, Path> sources = sourcesOf(init);
    requireNoManifest(f);
    if (!Files.isDirectory(f)) {
      WritePoints.reach(f, "create folder");
      Files.createDirectories(f);
    }
    CarrierLock lock = CarrierLock.take(f);
    try {
      requireNoManifest(f);
      Carrier c = new Carrier(f, null, clock, lock);
      c.makeFolders();
      c.clearTmp();
      c.manifest = c.firstManifest(init, sources, progress);
      c.store.commit(c.manifest);
      return c;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /** The carrier folder, absolute. */
  public Path folder() {
    return folder;
  }

  /** The committed manifest. */
  public Manifest manifest() {
    return manifest;
  }

  /** The generation a plain resume continues from. */
  public Generation current() {
    return manifest.current();
  }

  /** The kept generations (checkpoints), oldest first. */
  public List<Generation> checkpoints() {
    return manifest.generations();
  }

  /** The kept generation numbered {@code number}. */
  public Generation checkpoint(long number) throws CarrierException {
    return manifest
        .generation(number)
        .orElseThrow(
            () ->
                new CarrierException(
                    folder
                        + ": generation "
                        + number
                        + " is not kept (kept: "
                        + keptNumbers()
                        + ")"));
  }

  /** The newest kept generation committed at or before {@code time}. */
  public Generation checkpointAt(Instant time) throws CarrierException {
    Generation found = null;
    for (Generation g : manifest.generations()) {
      if (!g.created().isAfter(time)) {
        found = g;
      }
    }
    if (found == null) {
      Generation oldest = manifest.generations().get(0);
      throw new CarrierException(
          folder
              + ": no checkpoint at or before "
              + time
              + " (the oldest kept, generation "
              + oldest.number()
              + ", is from "
              + oldest.created()
              + ")");
    }
    return found;
  }

  /** The absolute path of a carrier file name. */
  public Path file(String name) {
    return folder.resolve(name);
  }

  /** The disk chain of {@code g}, base first, as absolute paths. */
  public List<Path> chainFiles(Generation g) {
    return g.chain().stream().map(this::file).toList();
  }

  /** The state file of {@code g}, or null when it boots cold. */
  public Path stateFile(Generation g) {
    return g.state() == null ? null : file(g.state());
  }

  /** Checks every file the manifest references; see {@link #verify(Progress)}. */
  public Verification verify() throws IOException {
    return verify(Progress.NONE);
  }

  /**
   * Checks every file the manifest references: its size and SHA-256; for every image of a kept
   * chain, its qcow2 structure (as {@code qemu-img check}: corruptions are problems, leaked
   * clusters only warnings, since a cut merge may leak some) and that its header names the image
   * below it in the chain as its backing file and has the chain's virtual size.
   *
   * <p>While a merge is pending, the checksums of the files it changes (the COW and the rebased
   * layer) are not checked: their bytes are in flux, and every state they pass through reads the
   * same (see {@link PendingMerge}); the rebased layer may name either the merged layer or the COW.
   */
  public Verification verify(Progress progress) throws IOException {
    return check(manifest.files().keySet(), manifest.generations(), progress);
  }

  /** Like {@link #verify(Progress)}, for the files generation {@code g} is resumed from only. */
  public Verification verify(Generation g, Progress progress) throws IOException {
    List<String> names = new ArrayList<>(g.chain());
    if (g.state() != null) {
      names.add(g.state());
    }
    if (g.screenshot() != null) {
      names.add(g.screenshot());
    }
    Stream.of(manifest.vm().kernel(), manifest.vm().initrd())
        .filter(n -> n != null)
        .forEach(names::add);
    return check(names, List.of(g), progress);
  }

  /**
   * Takes the lease for {@code sessionId} on {@code host}, or refuses with a {@link LeaseException}
   * naming the holder when another session holds it. Taking it again for the same session changes
   * nothing.
   */
  public Lease takeLease(HostIdentity host, String sessionId) throws IOException {
    requireWritable();
    Lease held = manifest.lease();
    if (held != null) {
      if (held.heldBy(host, sessionId)) {
        return held;
      }
      throw new LeaseException(
          folder
              + ": leased by "
              + held.describe()
              + "; break the lease only if that session is"
              + " gone",
          held);
    }
    Lease lease = new Lease(host.hostId(), host.hostName(), sessionId, now());
    commit(manifest.withLease(lease));
    return lease;
  }

  /** Releases the lease of {@code sessionId}; refuses if another session holds it. */
  public void releaseLease(HostIdentity host, String sessionId) throws IOException {
    requireWritable();
    if (manifest.lease() == null) {
      return;
    }
    requireLease(host, sessionId);
    commit(manifest.withLease(null));
  }

  /** Breaks whatever lease is held, for a session known to be gone; returns it (or null). */
  public Lease breakLease() throws IOException {
    requireWritable();
    Lease held = manifest.lease();
    if (held != null) {
      commit(manifest.withLease(null));
    }
    return held;
  }

  /**
   * Refuses with a {@link LeaseException} naming the holder when a session holds the lease: {@code
   * action} (e.g. "sync") must not run while a session may still write the carrier.
   */
  public void requireFree(String action) throws LeaseException {
    Lease held = manifest.lease();
    if (held != null) {
      throw new LeaseException(
          folder + ": leased by " + held.describe() + "; " + action + " refused until it ends",
          held);
    }
  }

  /**
   * Records what a host image was last synced to, replacing the image's earlier record; refuses
   * while a session holds the lease.
   */
  public void recordSync(SyncRecord record) throws IOException {
    requireWritable();
    requireFree("recording a sync");
    commit(manifest.withSync(record));
  }

  /**
   * Resets the carrier: the current generation's chain above the base (the COW and its layers) is
   * merged into the base in place, the COW is replaced by an empty one and the layers are deleted;
   * then generation g+1 is committed in place of the current generation g: parent g, the bare base
   * and COW as its chain, reading exactly as g did, and g's state (so the next resume continues the
   * session). Sync records of g become records of g+1. Older generations are dropped first: their
   * chains cannot survive. Refuses
   * while a session holds the lease. Crash-safe as {@link PendingReset} describes; a cut reset is
   * finished by the next {@link #openForWrite}.
   */
  public ResetResult reset() throws IOException {
    requireWritable();
    requireFree("reset");
    Generation g = current();
    List<Long> dropped = new ArrayList<>();
    for (Generation old : manifest.generations()) {
      if (old.number() != g.number()) {
        dropped.add(old.number());
      }
    }
    List<String> chain = g.chain();
    PendingReset op = new PendingReset(chain.get(0), chain.subList(1, chain.size()));
    commit(
        manifest.withGenerations(g.number(), List.of(g), manifest.files()).withReset(op));
    dropped.add(g.number());
    finishReset();
    deleteUnreferenced();
    return new ResetResult(current(), dropped, op.merge());
  }

  /**
   * Starts the end of a session that resumed generation {@code resumed} and holds the lease. The
   * new layer and state are then written through the returned {@link SessionEnd}, usually by {@link
   * SessionEnd#copyLayer} from the host's local COW.
   */
  public SessionEnd beginEnd(HostIdentity host, String sessionId, long resumed) throws IOException {
    requireWritable();
    requireLease(host, sessionId);
    Generation parent = checkpoint(resumed);
    // Leftovers of an earlier, cut attempt at this end; we hold the lock, so none is being written.
    clearTmp();
    return new SessionEnd(host, sessionId, parent, manifest.currentGeneration() + 1, folder);
  }

  /**
   * Commits the generation of {@code end} atomically with the lease released: the layer and state
   * move into place, the manifest naming the new generation current is committed; then layers
   * shared by every kept generation are merged into the COW, and files no longer referenced are
   * deleted. A cut anywhere leaves the old generation or the new one. Refuses a layer whose header
   * does not name {@link SessionEnd#layerBackingName()} or whose virtual size is not the chain's.
   */
  public EndResult commitGeneration(SessionEnd end, String note) throws IOException {
    requireWritable();
    if (!end.layerFile().getParent().equals(file(CarrierFiles.TMP))) {
      throw new IllegalArgumentException(
          "the end of " + end.layerFile() + " was begun on another carrier than " + folder);
    }
    requireLease(end.host(), end.sessionId());
    long number = manifest.currentGeneration() + 1;
    if (end.generation() != number) {
      throw new CarrierException(
          folder
              + ": the carrier moved to generation "
              + manifest.currentGeneration()
              + " since this end began; begin it again");
    }
    Generation parent = checkpoint(end.resumed().number());
    FileRecord layer = end.layerRecord();
    String link =
        BackingLinks.problem(
            end.layerFile(),
            BackingLinks.virtualSize(file(parent.top())),
            List.of(end.layerBackingName()),
            CarrierFiles.QCOW2);
    if (link != null) {
      throw new CarrierException(end.layerFile() + ": refusing the new layer: " + link);
    }
    FileRecord state = end.stateRecord();
    FileRecord screenshot = end.screenshotRecord();
    List<String> chain = new ArrayList<>(parent.chain());
    chain.add(CarrierFiles.layer(number));
    Generation made =
        new Generation(
            number,
            parent.number(),
            now(),
            end.host().hostId(),
            end.sessionId(),
            chain,
            state == null ? null : CarrierFiles.state(number),
            note,
            end.qemu(),
            screenshot == null ? null : CarrierFiles.screenshot(number));
    Durable.move(end.layerFile(), file(made.top()));
    Durable.syncFolder(file(CarrierFiles.LAYERS));
    if (state != null) {
      Durable.move(end.stateFile(), file(made.state()));
    }
    if (screenshot != null) {
      Durable.move(end.screenshotFile(), file(made.screenshot()));
    }
    if (state != null || screenshot != null) {
      Durable.syncFolder(file(CarrierFiles.STATES));
    }
    Generations.EndPlan plan = Generations.afterEnd(manifest, made, layer, state, screenshot);
    commit(plan.manifest());
    List<String> merged = finishPending();
    deleteUnreferenced();
    return new EndResult(current(), plan.retired(), plan.abandoned(), merged);
  }

  /** Releases the carrier's lock; a read-only carrier holds none. */
  @Override
  public void close() throws IOException {
    if (lock != null) {
      lock.close();
    }
  }

  private void recover() throws IOException {
    makeFolders();
    clearTmp();
    finishPending();
    finishReset();
    deleteUnreferenced();
  }

  /** Redoes and commits a pending reset, if any (see {@link PendingReset}). */
  private void finishReset() throws IOException {
    PendingReset r = manifest.reset();
    if (r == null) {
      return;
    }
    Path base = file(r.into());
    for (String name : r.merge()) {
      // Layers are committed and never written again: check them before copying them anywhere.
      // The COW may already be the empty one of a cut run, and its record is then stale.
      if (!name.equals(CarrierFiles.COW)) {
        requireRecorded(name, r.into());
      }
      // Forces the base before it returns: the COW is replaced next.
      Merger.merge(file(name), base, ProgressListener.NONE);
    }
    FileRecord cow = makeEmptyCow(r.into(), base);
    Durable.move(tmpFileOf(CarrierFiles.COW), file(CarrierFiles.COW));
    Durable.syncFolder(folder);
    Map<String, FileRecord> known = new HashMap<>(manifest.files());
    known.put(r.into(), Durable.hash(base, Progress.NONE));
    known.put(CarrierFiles.COW, cow);
    Generation g = current();
    long number = g.number() + 1;
    String state = g.state() == null ? null : CarrierFiles.state(number);
    if (state != null) {
      FileRecord record = manifest.files().get(g.state());
      sameState(g.state(), state, record);
      known.put(state, record);
    }
    String screenshot = g.screenshot() == null ? null : CarrierFiles.screenshot(number);
    if (screenshot != null) {
      FileRecord record = manifest.files().get(g.screenshot());
      sameState(g.screenshot(), screenshot, record);
      known.put(screenshot, record);
    }
    // The same disk content and RAM state under a new number: the next resume continues it.
    Generation made =
        new Generation(
            number,
            g.number(),
            now(),
            g.hostId(),
            g.sessionId(),
            List.of(r.into(), CarrierFiles.COW),
            state,
            g.note(),
            g.qemu(),
            screenshot);
    commit(
        manifest
            .withReset(null)
            .withGenerations(number, List.of(made), known)
            .withSyncsMoved(g.number(), number));
  }

  /**
   * Makes the state file (or screenshot) {@code target} hold the committed one {@code source}: a
   * hard link where the file system has them, else a durable copy through {@value CarrierFiles#TMP}. Forced before
   * the manifest naming it is committed.
   */
  private void sameState(String source, String target, FileRecord record) throws IOException {
    Path to = file(target);
    // A leftover of a cut reset is not referenced yet: make it again rather than trust it.
    Durable.delete(to);
    if (!Durable.link(file(source), to)) {
      Path tmp = tmpFileOf(target);
      FileRecord copy = Durable.copy(file(source), tmp, Progress.NONE);
      if (!copy.equals(record)) {
        throw new CarrierException(
            file(source)
                + ": does not match the manifest ("
                + copy.size()
                + " bytes, SHA-256 "
                + copy.sha256()
                + "); refusing to carry it into "
                + target);
      }
      Durable.move(tmp, to);
    }
    Durable.syncFolder(file(CarrierFiles.STATES));
  }

  /** Refuses to merge {@code name} into {@code into} unless it matches its record. */
  private void requireRecorded(String name, String into) throws IOException {
    Path p = file(name);
    FileRecord actual = Durable.hash(p, Progress.NONE);
    if (!actual.equals(manifest.files().get(name))) {
      throw new CarrierException(
          p
              + ": does not match the manifest ("
              + actual.size()
              + " bytes, SHA-256 "
              + actual.sha256()
              + "); refusing to merge it into "
              + into);
    }
  }

  /** Redoes and commits pending merges until none is left; returns the layers merged. */
  private List<String> finishPending() throws IOException {
    List<String> merged = new ArrayList<>();
    while (manifest.pending() != null) {
      PendingMerge p = manifest.pending();
      Path layer = file(p.layer());
      Path into = file(p.into());
      // The layer is committed and never written again: check it before copying it anywhere.
      requireRecorded(p.layer(), p.into());
      // Forces the COW before it returns: the manifest will drop the layer, so its clusters must
      // be in the COW on the medium first.
      Merger.merge(layer, into, ProgressListener.NONE);
      FileRecord rebased = null;
      if (p.rebase() != null) {
        // Now the layer above may read through the COW directly: the COW holds every cluster of
        // the merged layer. Until the manifest below is committed the merged layer still exists,
        // so a cut leaves a header naming either image, and both read the same; a redone merge
        // only writes into the COW what it already holds. The rebase forces the header.
        Path above = file(p.rebase());
        Qcow2Creator.rebaseUnsafe(
            above, CarrierFiles.backingName(p.rebase(), p.into()), CarrierFiles.QCOW2);
        rebased = Durable.hash(above, Progress.NONE);
      }
      commit(Generations.afterMerge(manifest, Durable.hash(into, Progress.NONE), rebased));
      merged.add(p.layer());
    }
    return merged;
  }

  /**
   * Deletes layers and states no committed manifest references. Not forced: a deleted file that
   * comes back after a cut is unreferenced and deleted again.
   */
  private void deleteUnreferenced() throws IOException {
    for (String dir : List.of(CarrierFiles.LAYERS, CarrierFiles.STATES)) {
      for (Path p : list(file(dir))) {
        if (!manifest.files().containsKey(dir + "/" + p.getFileName())) {
          deleteTree(p);
        }
      }
    }
  }

  private void clearTmp() throws IOException {
    for (Path p : list(file(CarrierFiles.TMP))) {
      deleteTree(p);
    }
  }

  private void makeFolders() throws IOException {
    for (String dir : List.of(CarrierFiles.TMP, CarrierFiles.LAYERS, CarrierFiles.STATES)) {
      Path p = file(dir);
      if (!Files.isDirectory(p)) {
        WritePoints.reach(p, "create folder");
        Files.createDirectories(p);
      }
    }
  }

  private Manifest firstManifest(CarrierInit init, Map<String, Path> sources, Progress progress)
      throws IOException {
    long total = init.cow() == null ? 0 : Files.size(init.cow());
    for (Path source : sources.values()) {
      total += Files.size(source);
    }
    long[] before = {0};
    long all = total;
    Progress overall = (done, size) -> progress.advanced(before[0] + done, all);
    Map<String, FileRecord> records = new TreeMap<>();
    for (Map.Entry<String, Path> e : sources.entrySet()) {
      FileRecord r = Durable.copy(e.getValue(), tmpFileOf(e.getKey()), overall);
      before[0] += r.size();
      records.put(e.getKey(), r);
    }
    String base = sources.keySet().iterator().next();
    records.put(CarrierFiles.COW, makeCow(init.cow(), init.base(), base, overall));
    for (String name : records.keySet()) {
      Durable.move(tmpFileOf(name), file(name));
    }
    Durable.syncFolder(folder);
    String state = init.state() == null ? null : CarrierFiles.state(1);
    if (state != null) {
      Durable.syncFolder(file(CarrierFiles.STATES));
    }
    VmConfig v = init.vm();
    VmConfig vm =
        new VmConfig(
            v.machineType(),
            v.cpuModel(),
            v.memoryMiB(),
            v.cpus(),
            v.diskInterface(),
            init.kernel() == null ? null : CarrierFiles.KERNEL,
            init.initrd() == null ? null : CarrierFiles.INITRD,
            v.append(),
            v.extraDevices());
    Instant now = now();
    Generation first =
        new Generation(
            1,
            null,
            now,
            init.host().hostId(),
            init.sessionId(),
            List.of(base, CarrierFiles.COW),
            state,
            init.note(),
            null,
            null);
    return new Manifest(
        UUID.randomUUID(), now, 1, vm, init.keep(), List.of(first), records, null, null);
  }

  /**
   * Writes the COW of a new carrier to {@value CarrierFiles#TMP}, naming {@code base} (the base's
   * carrier name) as its backing file: a copy of {@code source} (an overlay of {@code sourceBase})
   * or, when null, an empty one. Returns its size and SHA-256.
   */
  private FileRecord makeCow(Path source, Path sourceBase, String base, Progress progress)
      throws IOException {
    if (source != null) {
      return BackingLinks.copyOverlay(
          source, sourceBase, tmpFileOf(CarrierFiles.COW), base, CarrierFiles.formatOf(base), progress);
    }
    return makeEmptyCow(base, tmpFileOf(base));
  }

  /**
   * Writes an empty COW to {@value CarrierFiles#TMP} over the base named {@code base} (whose file,
   * for its size, is {@code baseFile}); returns its size and SHA-256.
   */
  private FileRecord makeEmptyCow(String base, Path baseFile) throws IOException {
    Path cow = tmpFileOf(CarrierFiles.COW);
    // Made without a backing file (the base's name would not resolve in tmp/), then pointed at the
    // base by the name it has beside the COW once both are in place. Both steps force.
    Qcow2Creator.create(cow, BackingLinks.virtualSize(baseFile), null, null);
    Qcow2Creator.rebaseUnsafe(cow, base, CarrierFiles.formatOf(base));
    return Durable.hash(cow, Progress.NONE);
  }

  /** Carrier name → source file of a new carrier, base first; the COW is made apart. */
  private static Map<String, Path> sourcesOf(CarrierInit init) throws IOException {
    if (init.vm().kernel() != null && init.kernel() == null) {
      throw new IllegalArgumentException(
          "vm.kernel (" + init.vm().kernel() + ") is set but no kernel file is given");
    }
    Map<String, Path> sources = new LinkedHashMap<>();
    requireFile(init.base(), "base image");
    sources.put(baseName(init.base()), init.base());
    if (init.cow() != null) {
      requireFile(init.cow(), "COW overlay");
    }
    if (init.kernel() != null) {
      sources.put(CarrierFiles.KERNEL, requireFile(init.kernel(), "kernel"));
    }
    if (init.initrd() != null) {
      sources.put(CarrierFiles.INITRD, requireFile(init.initrd(), "initrd"));
    }
    if (init.state() != null) {
      sources.put(CarrierFiles.state(1), requireFile(init.state(), "hibernation state"));
    }
    return sources;
  }

  /** The carrier name of base image {@code image}; refuses one that is not a whole disk. */
  private static String baseName(Path image) throws IOException {
    try (DiskImage d = DiskImage.open(image, false)) {
      if (d.backingFileName() != null) {
        throw new CarrierException(
            image
                + ": has a backing file ('"
                + d.backingFileName()
                + "'); a carrier's base image must stand alone (flatten it with qemu-img convert)");
      }
      return d.format() == ImageFormat.QCOW2 ? CarrierFiles.BASE_QCOW2 : CarrierFiles.BASE_RAW;
    }
  }

  private Verification check(
      Collection<String> names, List<Generation> generations, Progress progress)
      throws IOException {
    PendingMerge pending = manifest.pending();
    Set<String> inFlux = new HashSet<>();
    if (manifest.reset() != null) {
      inFlux.add(manifest.reset().into());
      inFlux.add(CarrierFiles.COW);
    }
    if (pending != null) {
      inFlux.add(pending.into());
      if (pending.rebase() != null) {
        inFlux.add(pending.rebase());
      }
    }
    Map<String, FileRecord> todo = new LinkedHashMap<>();
    for (String name : names) {
      if (!inFlux.contains(name)) {
        todo.put(name, manifest.files().get(name));
      }
    }
    long all = todo.values().stream().mapToLong(FileRecord::size).sum();
    long[] before = {0};
    List<FileProblem> problems = new ArrayList<>();
    for (Map.Entry<String, FileRecord> e : todo.entrySet()) {
      Path p = file(e.getKey());
      FileRecord recorded = e.getValue();
      if (!Files.isRegularFile(p)) {
        problems.add(new FileProblem(e.getKey(), "does not exist"));
      } else if (Files.size(p) != recorded.size()) {
        problems.add(
            new FileProblem(
                e.getKey(), "size " + recorded.size() + " recorded, " + Files.size(p) + " found"));
      } else {
        FileRecord actual =
            Durable.hash(p, (done, size) -> progress.advanced(before[0] + done, all));
        if (!actual.sha256().equals(recorded.sha256())) {
          problems.add(
              new FileProblem(
                  e.getKey(),
                  "SHA-256 " + actual.sha256() + " found, " + recorded.sha256() + " recorded"));
        }
      }
      before[0] += recorded.size();
    }
    List<FileProblem> warnings = new ArrayList<>();
    checkImages(generations, problems, warnings);
    return new Verification(problems, warnings);
  }

  /**
   * Checks the structure of every image of {@code generations}' chains, and that each one's header
   * links to the image below it (every kept chain is a prefix of the current one, so an image has
   * the same one below it in every chain).
   */
  private void checkImages(
      List<Generation> generations, List<FileProblem> problems, List<FileProblem> warnings)
      throws IOException {
    Map<String, String> below = new LinkedHashMap<>();
    for (Generation g : generations) {
      for (int i = 0; i < g.chain().size(); i++) {
        below.put(g.chain().get(i), i == 0 ? null : g.chain().get(i - 1));
      }
    }
    String base = generations.get(0).chain().get(0);
    if (!Files.isRegularFile(file(base))) {
      return;
    }
    long size = BackingLinks.virtualSize(file(base));
    PendingMerge pending = manifest.pending();
    for (Map.Entry<String, String> e : below.entrySet()) {
      String name = e.getKey();
      Path p = file(name);
      if (!Files.isRegularFile(p)) {
        continue;
      }
      String damage = structureProblem(p, warnings, name);
      if (damage != null) {
        problems.add(new FileProblem(name, damage));
        continue;
      }
      if (e.getValue() == null) {
        continue;
      }
      List<String> accepted = new ArrayList<>();
      accepted.add(CarrierFiles.backingName(name, e.getValue()));
      if (pending != null && name.equals(pending.rebase())) {
        accepted.add(CarrierFiles.backingName(name, pending.into()));
      }
      String link = BackingLinks.problem(p, size, accepted, CarrierFiles.formatOf(e.getValue()));
      if (link != null) {
        problems.add(new FileProblem(name, link));
      }
    }
  }

  /** What {@link Checker} finds wrong with {@code image}, or null; leaks go to {@code warnings}. */
  private static String structureProblem(Path image, List<FileProblem> warnings, String name)
      throws IOException {
    CheckReport r;
    try {
      r = Checker.check(image);
    } catch (ImageException e) {
      return e.getMessage();
    }
    if (r.corruptions() > 0 || r.checkErrors() > 0) {
      return "qcow2 check found "
          + r.corruptions()
          + " corruptions and "
          + r.checkErrors()
          + " check errors"
          + (r.messages().isEmpty() ? "" : ": " + r.messages().get(0));
    }
    if (r.leaks() > 0) {
      warnings.add(
          new FileProblem(
              name,
              r.leaks()
                  + " leaked clusters (harmless: allocated but unused, as a cut merge"
                  + " may leave them)"));
    }
    return null;
  }

  private void requireLease(HostIdentity host, String sessionId) throws LeaseException {
    Lease held = manifest.lease();
    if (held == null) {
      throw new LeaseException(
          folder + ": session " + sessionId + " holds no lease (it was released or broken)", null);
    }
    if (!held.heldBy(host, sessionId)) {
      throw new LeaseException(
          folder
              + ": leased by "
              + held.describe()
              + ", not by session "
              + sessionId
              + " on host "
              + host.hostName(),
          held);
    }
  }

  private void requireWritable() {
    if (lock == null) {
      throw new IllegalStateException(folder + " was opened read-only; use openForWrite");
    }
  }

  private void commit(Manifest next) throws IOException {
    store.commit(next);
    manifest = next;
  }

  private Path tmpFileOf(String name) {
    return file(CarrierFiles.TMP).resolve(Path.of(name).getFileName());
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private String keptNumbers() {
    return manifest.generations().stream()
        .map(g -> Long.toString(g.number()))
        .collect(Collectors.joining(", "));
  }

  private static Manifest readManifest(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new CarrierException(folder + ": no such folder");
    }
    if (!Files.exists(folder.resolve(CarrierFiles.MANIFEST))) {
      throw new CarrierException(folder + ": not a carrier (no " + CarrierFiles.MANIFEST + ")");
    }
    return new ManifestStore(folder).read();
  }

  private static void requireNoManifest(Path folder) throws CarrierException {
    if (Files.exists(folder.resolve(CarrierFiles.MANIFEST))) {
      throw new CarrierException(
          folder + ": already a carrier (" + CarrierFiles.MANIFEST + " exists)");
    }
  }

  private static Path requireFile(Path file, String what) throws CarrierException {
    if (!Files.isRegularFile(file)) {
      throw new CarrierException(file + ": no such file (the " + what + ")");
    }
    return file;
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  private static void deleteTree(Path p) throws IOException {
    List<Path> all;
    try (Stream<Path> s = Files.walk(p)) {
      all = s.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path q : all) {
      Durable.delete(q);
    }
  }

  private static Path absolute(Path folder) {
    return folder.toAbsolutePath().normalize();
  }
}
