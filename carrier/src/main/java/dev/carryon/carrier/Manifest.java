package dev.carryon.carrier;

import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Everything a carrier's {@code carryon.json} says (schema {@value CarrierFiles#FORMAT}, version
 * {@value CarrierFiles#VERSION}). Immutable; a change is a new manifest, committed whole. {@link
 * ManifestCodec} reads and writes it; {@link ManifestRules} states what makes one consistent. The
 * work it records as committed but maybe unfinished (a merge, a reset) is this package's business:
 * others see only {@link #unfinishedWork}.
 */
public final class Manifest {
  /** Id of the carrier, fixed at init. */
  private final UUID carrierId;

  /** When the carrier was made. */
  private final Instant created;

  /** The generation a plain resume continues from. */
  private final long currentGeneration;

  /** The exact VM configuration every generation runs under. */
  private final VmConfig vm;

  /** How many generations (checkpoints) are kept, at least 1. */
  private final int keep;

  /** The kept generations, oldest first; each is an ancestor of the current one. */
  private final List<Generation> generations;

  /** Size and SHA-256 of every file the manifest references, by carrier name, sorted. */
  private final Map<String, FileRecord> files;

  /** The session holding the carrier, or null when free. */
  private final Lease lease;

  /** A merge committed but possibly not finished, or null. */
  private final PendingMerge pending;

  /** What each host image synced from this carrier was last synced to, one record per image. */
  private final List<SyncRecord> syncs;

  /** A reset committed but possibly not finished, or null. */
  private final PendingReset reset;

  /** The images' chunk lists, or null on a carrier written before them (manifest version 1). */
  private final ChunkLists chunks;

  Manifest(
      UUID carrierId,
      Instant created,
      long currentGeneration,
      VmConfig vm,
      int keep,
      List<Generation> generations,
      Map<String, FileRecord> files,
      Lease lease,
      PendingMerge pending,
      List<SyncRecord> syncs,
      PendingReset reset,
      ChunkLists chunks) {
    this.carrierId = Objects.requireNonNull(carrierId, "carrierId");
    this.created = Objects.requireNonNull(created, "created");
    this.vm = Objects.requireNonNull(vm, "vm");
    if (keep < 1) {
      throw new IllegalArgumentException("keep (" + keep + ") must be at least 1");
    }
    this.currentGeneration = currentGeneration;
    this.keep = keep;
    // Not Stream.toList(): Android 8 lacks it, and the phone's companion reads manifests.
    List<Generation> sorted = new ArrayList<>(generations);
    sorted.sort(Comparator.comparingLong(Generation::number));
    this.generations = Collections.unmodifiableList(sorted);
    this.files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
    this.lease = lease;
    this.pending = pending;
    this.syncs = List.copyOf(syncs);
    this.reset = reset;
    this.chunks = chunks;
  }

  /**
   * A manifest no host image was synced from, with no reset pending and no chunk lists yet (a
   * commit adds them).
   */
  Manifest(
      UUID carrierId,
      Instant created,
      long currentGeneration,
      VmConfig vm,
      int keep,
      List<Generation> generations,
      Map<String, FileRecord> files,
      Lease lease,
      PendingMerge pending) {
    this(
        carrierId,
        created,
        currentGeneration,
        vm,
        keep,
        generations,
        files,
        lease,
        pending,
        List.of(),
        null,
        null);
  }

  /**
   * Reads a manifest's bytes, for those who look at a carrier without opening it (a phone listing
   * the carriers it holds); {@code source} names it in error messages.
   */
  public static Manifest parse(byte[] json, String source) throws CarrierFormatException {
    return ManifestCodec.parse(json, source);
  }

  /** Id of the carrier, fixed at init. */
  public UUID carrierId() {
    return carrierId;
  }

  /** When the carrier was made. */
  public Instant created() {
    return created;
  }

  /** The generation a plain resume continues from. */
  public long currentGeneration() {
    return currentGeneration;
  }

  /** The exact VM configuration every generation runs under. */
  public VmConfig vm() {
    return vm;
  }

  /** How many generations (checkpoints) are kept. */
  public int keep() {
    return keep;
  }

  /** The kept generations, oldest first. */
  public List<Generation> generations() {
    return generations;
  }

  /** Size and SHA-256 of every file the manifest references, by carrier name, sorted. */
  public Map<String, FileRecord> files() {
    return files;
  }

  /** The session holding the carrier, or null when free. */
  public Lease lease() {
    return lease;
  }

  /** What each host image synced from this carrier was last synced to. */
  public List<SyncRecord> syncs() {
    return syncs;
  }

  /**
   * Work committed but maybe not finished, for people (e.g. {@code merge layers/L2.qcow2 into
   * cow.qcow2}), or null when there is none. The next command that writes the carrier finishes it.
   */
  public String unfinishedWork() {
    if (reset != null) {
      return "reset: merge " + String.join(", ", reset.merge()) + " into " + reset.into();
    }
    return pending == null ? null : "merge " + pending.layer() + " into " + pending.into();
  }

  /** The images' chunk lists, or null on a carrier written before them (manifest version 1). */
  public ChunkLists chunks() {
    return chunks;
  }

  /** This manifest with {@code newChunks} as its chunk lists. */
  Manifest withChunks(ChunkLists newChunks) {
    return with(d -> d.chunks = newChunks);
  }

  /** The images of every kept chain. */
  public SortedSet<String> keptImages() {
    SortedSet<String> images = new TreeSet<>();
    for (Generation g : generations) {
      images.addAll(g.chain());
    }
    return images;
  }

  /** A merge committed but possibly not finished, or null. */
  PendingMerge pending() {
    return pending;
  }

  /** A reset committed but possibly not finished, or null. */
  PendingReset reset() {
    return reset;
  }

  /** The record of the host image at {@code image} on host {@code hostId}, if it was synced. */
  public Optional<SyncRecord> sync(String hostId, String image) {
    return syncs.stream().filter(r -> r.isFor(hostId, image)).findFirst();
  }

  /** The generation a plain resume continues from. */
  public Generation current() {
    return generation(currentGeneration).orElseThrow();
  }

  /** The VM configuration generation {@code g} resumes under: the carrier's, with g's machine type. */
  public VmConfig vmOf(Generation g) {
    String type = g.machineType(vm);
    return type.equals(vm.machineType()) ? vm : vm.withMachineType(type);
  }

  /** The kept generation numbered {@code number}, if it is kept. */
  public Optional<Generation> generation(long number) {
    return generations.stream().filter(g -> g.number() == number).findFirst();
  }

  /** Carrier names of every file the generations and the VM configuration refer to. */
  public SortedSet<String> referencedFiles() {
    SortedSet<String> names = new TreeSet<>();
    for (Generation g : generations) {
      names.addAll(g.chain());
      if (g.state() != null) {
        names.add(g.state());
      }
      if (g.screenshot() != null) {
        names.add(g.screenshot());
      }
    }
    if (vm.kernel() != null) {
      names.add(vm.kernel());
    }
    if (vm.initrd() != null) {
      names.add(vm.initrd());
    }
    return names;
  }

  Manifest withLease(Lease newLease) {
    return with(d -> d.lease = newLease);
  }

  Manifest withPending(PendingMerge newPending) {
    return with(d -> d.pending = newPending);
  }

  Manifest withReset(PendingReset newReset) {
    return with(d -> d.reset = newReset);
  }

  /** This manifest with {@code record} replacing any earlier record of the same host image. */
  Manifest withSync(SyncRecord record) {
    List<SyncRecord> next = new ArrayList<>();
    for (SyncRecord r : syncs) {
      if (!r.isFor(record.hostId(), record.image())) {
        next.add(r);
      }
    }
    next.add(record);
    return withSyncs(next);
  }

  /** This manifest with the sync records of generation {@code from} moved to {@code to}. */
  Manifest withSyncsMoved(long from, long to) {
    List<SyncRecord> next = new ArrayList<>();
    for (SyncRecord r : syncs) {
      next.add(
          r.generation() == from
              ? new SyncRecord(r.hostId(), r.image(), to, r.synced(), r.sample())
              : r);
    }
    return withSyncs(next);
  }

  private Manifest withSyncs(List<SyncRecord> next) {
    return with(d -> d.syncs = next);
  }

  /** A manifest with these generations, the files they reference and nothing else. */
  Manifest withGenerations(
      long newCurrent, List<Generation> newGenerations, Map<String, FileRecord> knownFiles) {
    Manifest draft =
        with(
            d -> {
              d.currentGeneration = newCurrent;
              d.generations = newGenerations;
              d.files = Map.of();
            });
    Map<String, FileRecord> kept = new TreeMap<>();
    for (String name : draft.referencedFiles()) {
      FileRecord record = knownFiles.get(name);
      if (record == null) {
        throw new IllegalStateException("no size and checksum known for " + name);
      }
      kept.put(name, record);
    }
    return draft.with(d -> d.files = kept);
  }

  /** This manifest with the fields {@code change} sets on a copy of them replaced. */
  private Manifest with(Consumer<Draft> change) {
    Draft d = new Draft(this);
    change.accept(d);
    return new Manifest(
        carrierId, created, d.currentGeneration, vm, keep, d.generations, d.files, d.lease,
        d.pending, d.syncs, d.reset, d.chunks);
  }

  /** The fields a change of a manifest may replace, copied from the manifest it changes. */
  private static final class Draft {
    long currentGeneration;
    List<Generation> generations;
    Map<String, FileRecord> files;
    Lease lease;
    PendingMerge pending;
    List<SyncRecord> syncs;
    PendingReset reset;
    ChunkLists chunks;

    Draft(Manifest m) {
      currentGeneration = m.currentGeneration;
      generations = m.generations;
      files = m.files;
      lease = m.lease;
      pending = m.pending;
      syncs = m.syncs;
      reset = m.reset;
      chunks = m.chunks;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Manifest m && fields().equals(m.fields());
  }

  @Override
  public int hashCode() {
    return fields().hashCode();
  }

  @Override
  public String toString() {
    return "Manifest" + fields();
  }

  private List<Object> fields() {
    return Arrays.asList(
        carrierId, created, currentGeneration, vm, keep, generations, files, lease, pending, syncs,
        reset, chunks);
  }
}
