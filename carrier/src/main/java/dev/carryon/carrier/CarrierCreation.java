package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.DiskImage;
import dev.carryon.cow.ImageFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Making a new carrier: the files of a {@link CarrierInit} are copied onto it through {@value
 * CarrierFiles#TMP}, forced, moved into place and their folders forced; then the first manifest is
 * committed. A cut before that commit leaves no carrier (and leftovers the next init clears).
 */
final class CarrierCreation {
  /** The new carrier's manifest, empty until {@link #run} commits it. */
  private final ManifestStore store;

  /** What the carrier is made from. */
  private final CarrierInit init;

  /** Told how far the copies have come. */
  private final Progress progress;

  private CarrierCreation(ManifestStore store, CarrierInit init, Progress progress) {
    this.store = store;
    this.init = init;
    this.progress = progress;
  }

  /**
   * Checks the source files of {@code init}; refuses with a clear error before anything is
   * written when one is missing or the base image does not stand alone.
   */
  static void checkSources(CarrierInit init) throws IOException {
    sourcesOf(init, baseOf(init.base(), false));
  }

  /** Makes the carrier of {@code store} (which has no manifest yet) from {@code init}. */
  static void run(ManifestStore store, CarrierInit init, Progress progress) throws IOException {
    new CarrierCreation(store, init, progress).run();
  }

  private void run() throws IOException {
    CarrierStorage storage = store.storage();
    Base base = baseOf(init.base(), store.diskSecret() != null);
    Map<String, Path> sources = sourcesOf(init, base);
    Recovery.makeFolders(storage);
    Recovery.clearTmp(storage);
    long total = init.cow() == null ? 0 : Files.size(init.cow());
    for (Path source : sources.values()) {
      total += Files.size(source);
    }
    long[] before = {0};
    long all = total;
    Progress overall = (done, size) -> progress.advanced(before[0] + done, all);
    Map<String, FileRecord> records = new TreeMap<>();
    for (Map.Entry<String, Path> e : sources.entrySet()) {
      boolean encrypt = e.getKey().equals(base.name()) && store.diskSecret() != null;
      FileRecord r =
          encrypt
              ? encryptedCopy(e.getValue(), List.of(tmpOf(base.name())), base, null, overall)
              : Durable.copyIn(storage, e.getValue(), tmpOf(e.getKey()), overall);
      before[0] += encrypt ? Files.size(e.getValue()) : r.size();
      records.put(e.getKey(), r);
    }
    records.put(CarrierFiles.COW, makeCow(base, overall));
    for (String name : records.keySet()) {
      storage.rename(tmpOf(name), name);
    }
    storage.forceFolder("");
    String state = init.state() == null ? null : CarrierFiles.state(1);
    if (state != null) {
      storage.forceFolder(CarrierFiles.STATES);
    }
    store.commit(firstManifest(base.name(), state, records));
  }

  private Manifest firstManifest(String base, String state, Map<String, FileRecord> records) {
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
    Instant now = store.now();
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
   * Writes the COW of the new carrier to {@value CarrierFiles#TMP}, naming the base's carrier name
   * as its backing file: a copy of {@code init.cow()} (an overlay of {@code init.base()}) or, when
   * none is given, an empty one. Returns its size and SHA-256.
   */
  private FileRecord makeCow(Base base, Progress overall) throws IOException {
    CarrierStorage storage = store.storage();
    String cow = tmpOf(CarrierFiles.COW);
    String format = CarrierFiles.formatOf(base.name());
    if (init.cow() != null && store.diskSecret() != null) {
      BackingLinks.requireOverlay(init.cow(), init.base(), base.size());
      return encryptedCopy(
          init.cow(), List.of(tmpOf(base.name()), cow), base, base.name(), overall);
    }
    if (init.cow() != null) {
      return BackingLinks.copyOverlay(
          init.cow(), init.base(), base.size(), storage, cow, base.name(), format, overall);
    }
    // The backing name is the base's as seen from the COW's final place beside it.
    CarrierImages.createEmpty(storage, cow, base.size(), base.name(), format, store.diskSecret());
    return Durable.hash(storage, cow);
  }

  /**
   * Writes the top of {@code chain} (carrier names in {@value CarrierFiles#TMP}, base first) as a
   * new LUKS-encrypted qcow2 image backed by {@code backing} (null for none) holding what image
   * {@code source} (the user's, only read) defines: the user's file stays as it was, in the clear,
   * and the carrier gets only ciphertext. Forced before this returns; returns its size and SHA-256.
   */
  private FileRecord encryptedCopy(
      Path source, List<String> chain, Base base, String backing, Progress overall)
      throws IOException {
    CarrierStorage storage = store.storage();
    String top = chain.get(chain.size() - 1);
    byte[] secret = store.diskSecret();
    CarrierImages.createEmpty(storage, top, base.size(), backing,
        backing == null ? null : CarrierFiles.formatOf(backing), secret);
    try (DiskImage plain = DiskImage.open(source, false)) {
      CarrierImages.mergeInto(plain, storage, chain, secret, overall::advanced);
    }
    return Durable.hash(storage, top);
  }

  /** Where carrier file {@code name} is written before it is moved into place. */
  private static String tmpOf(String name) {
    return CarrierFiles.TMP + "/" + name.substring(name.lastIndexOf('/') + 1);
  }

  /** Carrier name → source file of a new carrier, base first; the COW is made apart. */
  private static Map<String, Path> sourcesOf(CarrierInit init, Base base) throws IOException {
    if (init.vm().kernel() != null && init.kernel() == null) {
      throw new IllegalArgumentException(
          "vm.kernel (" + init.vm().kernel() + ") is set but no kernel file is given");
    }
    Map<String, Path> sources = new LinkedHashMap<>();
    sources.put(base.name(), init.base());
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

  /**
   * The base image as the carrier will hold it.
   *
   * @param name its carrier name, which tells its format
   * @param size its virtual size
   */
  private record Base(String name, long size) {}

  /**
   * The carrier name and size of base image {@code image}; refuses one that is not a whole disk.
   * An {@code encrypted} carrier holds every base as qcow2 (LUKS), whatever the user's format.
   */
  private static Base baseOf(Path image, boolean encrypted) throws IOException {
    requireFile(image, "base image");
    try (DiskImage d = DiskImage.open(image, false)) {
      if (d.backingFileName() != null) {
        throw new CarrierException(
            image
                + ": has a backing file ('"
                + d.backingFileName()
                + "'); a carrier's base image must stand alone (flatten it with qemu-img convert)");
      }
      String name =
          encrypted || d.format() == ImageFormat.QCOW2
              ? CarrierFiles.BASE_QCOW2
              : CarrierFiles.BASE_RAW;
      return new Base(name, d.virtualSize());
    }
  }

  private static Path requireFile(Path file, String what) throws CarrierException {
    if (!Files.isRegularFile(file)) {
      throw new CarrierException(file + ": no such file (the " + what + ")");
    }
    return file;
  }
}
