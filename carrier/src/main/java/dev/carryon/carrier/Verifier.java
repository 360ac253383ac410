package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.CheckReport;
import dev.carryon.cow.ImageException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a carrier's files against its manifest: each file's size and SHA-256 (hashed where the
 * bytes are, {@link CarrierStorage#hash}; an image's chunk list must be the one the manifest
 * names, well formed, and of the image's size), and for every image of the chains checked its qcow2
 * structure (as {@code qemu-img check}: corruptions are problems, leaked clusters only warnings,
 * since a cut merge may leak some) and that its header names the image below it in the chain as its
 * backing file and has the chain's virtual size. Reads only.
 *
 * <p>While a merge or a reset is pending, the checksums of the files it changes are not checked:
 * their bytes are in flux, and every state they pass through reads the same (see {@link
 * PendingMerge}, {@link PendingReset}); the layer a pending merge rebases may name either the
 * merged layer or the COW.
 */
final class Verifier {
  /** The carrier's bytes. */
  private final CarrierStorage storage;

  /** The manifest checked against. */
  private final Manifest manifest;

  /** Whether the carrier is encrypted: then every image must be LUKS-encrypted qcow2. */
  private final boolean encrypted;

  Verifier(CarrierStorage storage, Manifest manifest, boolean encrypted) {
    this.storage = storage;
    this.manifest = manifest;
    this.encrypted = encrypted;
  }

  /**
   * Checks the files {@code names} and the images of {@code generations}' chains (none: the files
   * alone); {@code progress} is told the bytes hashed after each file.
   */
  Verification check(Collection<String> names, List<Generation> generations, Progress progress)
      throws IOException {
    Set<String> inFlux = inFlux();
    Map<String, FileRecord> todo = new LinkedHashMap<>();
    for (String name : names) {
      if (!inFlux.contains(name)) {
        todo.put(name, manifest.files().get(name));
      }
    }
    Map<String, Long> present = ManifestStore.stored(storage, manifest.referencedFiles());
    long all = todo.values().stream().mapToLong(FileRecord::size).sum();
    long done = 0;
    List<FileProblem> problems = new ArrayList<>();
    for (Map.Entry<String, FileRecord> e : todo.entrySet()) {
      String name = e.getKey();
      FileRecord recorded = e.getValue();
      Long size = present.get(name);
      if (size == null) {
        problems.add(new FileProblem(name, "does not exist"));
      } else if (size != recorded.size()) {
        problems.add(
            new FileProblem(name, "size " + recorded.size() + " recorded, " + size + " found"));
      } else {
        String list = manifest.chunks() == null ? null : manifest.chunks().byImage().get(name);
        String problem = list == null ? hashProblem(name, recorded) : chunkProblem(name, recorded, list);
        if (problem != null) {
          problems.add(new FileProblem(name, problem));
        }
      }
      done += recorded.size();
      progress.advanced(done, all);
    }
    List<FileProblem> warnings = new ArrayList<>();
    if (!generations.isEmpty()) {
      checkImages(generations, present, problems, warnings);
    }
    return new Verification(problems, warnings);
  }

  /** What is wrong with file {@code name}'s SHA-256, or null. */
  private String hashProblem(String name, FileRecord recorded) throws IOException {
    FileRecord actual = Durable.hash(storage, name);
    return actual.sha256().equals(recorded.sha256())
        ? null
        : "SHA-256 " + actual.sha256() + " found, " + recorded.sha256() + " recorded";
  }

  /**
   * What is wrong with image {@code name}'s SHA-256 or with its chunk list {@code listSha256}
   * (missing, not the one recorded, malformed, or of another size), or null. The image is hashed
   * where its bytes are, as any file: a list whose hash is the recorded one is the list made from
   * the image whose SHA-256 is the recorded one, so the image need not cross the link again to
   * check it chunk by chunk (the block server checks each chunk as it reads it).
   */
  private String chunkProblem(String name, FileRecord recorded, String listSha256)
      throws IOException {
    String problem = hashProblem(name, recorded);
    if (problem != null) {
      return problem;
    }
    ChunkList stored;
    try {
      stored = ChunkListStore.read(storage, listSha256);
    } catch (CarrierException e) {
      return e.getMessage();
    }
    return stored.imageSize() == recorded.size()
        ? null
        : CarrierFiles.where(storage, ChunkLists.fileOf(listSha256)) + ": lists "
            + stored.imageSize() + " bytes, the image has " + recorded.size();
  }

  /** The files a pending merge or reset is changing. */
  private Set<String> inFlux() {
    Set<String> inFlux = new HashSet<>();
    if (manifest.reset() != null) {
      inFlux.add(manifest.reset().into());
      inFlux.add(CarrierFiles.COW);
    }
    PendingMerge pending = manifest.pending();
    if (pending != null) {
      inFlux.add(pending.into());
      if (pending.rebase() != null) {
        inFlux.add(pending.rebase());
      }
    }
    return inFlux;
  }

  /**
   * Checks the structure of every image of {@code generations}' chains, and that each one's header
   * links to the image below it (every kept chain is a prefix of the current one, so an image has
   * the same one below it in every chain). Images not {@code present} are already reported.
   */
  private void checkImages(
      List<Generation> generations,
      Map<String, Long> present,
      List<FileProblem> problems,
      List<FileProblem> warnings)
      throws IOException {
    Map<String, String> below = new LinkedHashMap<>();
    for (Generation g : generations) {
      for (int i = 0; i < g.chain().size(); i++) {
        below.put(g.chain().get(i), i == 0 ? null : g.chain().get(i - 1));
      }
    }
    String base = generations.get(0).chain().get(0);
    if (!present.containsKey(base)) {
      return;
    }
    long size;
    try {
      size = CarrierImages.virtualSize(storage, base);
    } catch (ImageException e) {
      problems.add(new FileProblem(base, e.getMessage()));
      return;
    }
    PendingMerge pending = manifest.pending();
    for (Map.Entry<String, String> e : below.entrySet()) {
      String name = e.getKey();
      if (!present.containsKey(name)) {
        continue;
      }
      String damage = structureProblem(name, warnings);
      if (damage != null) {
        problems.add(new FileProblem(name, damage));
        continue;
      }
      if (e.getValue() == null) {
        String clear = encrypted ? BackingLinks.inTheClear(storage, name) : null;
        if (clear != null) {
          problems.add(new FileProblem(name, clear));
        }
        continue;
      }
      List<String> accepted = new ArrayList<>();
      accepted.add(CarrierFiles.backingName(name, e.getValue()));
      if (pending != null && name.equals(pending.rebase())) {
        accepted.add(CarrierFiles.backingName(name, pending.into()));
      }
      String link =
          BackingLinks.problem(storage, name, size, accepted, CarrierFiles.formatOf(e.getValue()),
              encrypted);
      if (link != null) {
        problems.add(new FileProblem(name, link));
      }
    }
  }

  /** What the qcow2 check finds wrong with image {@code name}, or null; leaks go to warnings. */
  private String structureProblem(String name, List<FileProblem> warnings) throws IOException {
    if (!CarrierFiles.QCOW2.equals(CarrierFiles.formatOf(name))) {
      return null; // a raw base has no structure to check
    }
    CheckReport r;
    try {
      r = CarrierImages.check(storage, name);
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
}
