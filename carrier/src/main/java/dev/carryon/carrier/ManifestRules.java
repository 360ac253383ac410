package dev.carryon.carrier;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What makes a manifest consistent, beyond each field being well formed. The reader refuses a
 * manifest that breaks a rule, and the writer never writes one.
 *
 * <ul>
 *   <li>Every generation's chain is the base, then {@link CarrierFiles#COW}, then layers of
 *       increasing generation numbers; a non-empty layer list ends with the generation's own layer.
 *       Its state, if any, is the generation's own state file.
 *   <li>The kept generations form one line: the current one is the newest, and each kept one is
 *       reached from it by following parents. A child's chain is its parent's chain plus the
 *       child's layer (or both are the bare base + COW, once everything was merged).
 *   <li>A pending merge merges the lowest layer shared by every kept chain into the COW, and
 *       rebases the layer directly above it in the current chain (none when there is none).
 *   <li>A pending reset keeps the current generation only, merges its chain above the base into
 *       the base, and is never pending together with a merge.
 *   <li>At most one sync record per host image, none of a generation not yet made.
 *   <li>{@code files} lists exactly the files referenced, and only carrier names.
 *   <li>Chunk lists, when the manifest has them, have a power-of-two chunk size and there is one
 *       for every image of a kept chain and for nothing else.
 * </ul>
 */
final class ManifestRules {
  private ManifestRules() {}

  /** The first rule {@code m} breaks, in words, or null when it keeps them all. */
  static String firstBroken(Manifest m) {
    if (m.generations().isEmpty()) {
      return "no generation is kept";
    }
    if (m.generations().size() > m.keep()) {
      return m.generations().size() + " generations are kept, more than keep (" + m.keep() + ")";
    }
    Generation newest = m.generations().get(m.generations().size() - 1);
    if (newest.number() != m.currentGeneration()) {
      return "currentGeneration ("
          + m.currentGeneration()
          + ") is not the newest kept generation ("
          + newest.number()
          + ")";
    }
    if (m.vm().kernel() != null && !m.vm().kernel().equals(CarrierFiles.KERNEL)) {
      return "vm.kernel must be '" + CarrierFiles.KERNEL + "', found '" + m.vm().kernel() + "'";
    }
    if (m.vm().initrd() != null && !m.vm().initrd().equals(CarrierFiles.INITRD)) {
      return "vm.initrd must be '" + CarrierFiles.INITRD + "', found '" + m.vm().initrd() + "'";
    }
    String base =
        m.generations().get(0).chain().isEmpty() ? null : m.generations().get(0).chain().get(0);
    for (Generation g : m.generations()) {
      String problem = chainProblem(g, base);
      if (problem != null) {
        return "generation " + g.number() + ": " + problem;
      }
    }
    String problem = lineProblem(m);
    if (problem == null) {
      problem = pendingProblem(m);
    }
    if (problem == null) {
      problem = resetProblem(m);
    }
    if (problem == null) {
      problem = syncsProblem(m);
    }
    if (problem == null) {
      problem = filesProblem(m);
    }
    if (problem == null) {
      problem = chunksProblem(m);
    }
    return problem;
  }

  private static String chainProblem(Generation g, String base) {
    List<String> chain = g.chain();
    if (chain.size() < 2) {
      return "chain " + chain + " must hold at least the base and " + CarrierFiles.COW;
    }
    if (!CarrierFiles.isBase(chain.get(0))) {
      return "chain must start with "
          + CarrierFiles.BASE_QCOW2
          + " or "
          + CarrierFiles.BASE_RAW
          + ", found '"
          + chain.get(0)
          + "'";
    }
    if (!chain.get(0).equals(base)) {
      return "chain starts with '" + chain.get(0) + "' but other generations with '" + base + "'";
    }
    if (!chain.get(1).equals(CarrierFiles.COW)) {
      return "second in chain must be " + CarrierFiles.COW + ", found '" + chain.get(1) + "'";
    }
    long previous = 0;
    for (String layer : chain.subList(2, chain.size())) {
      long n = CarrierFiles.layerGeneration(layer);
      if (n <= previous || n > g.number()) {
        return "chain entry '"
            + layer
            + "' is not a layer numbered above "
            + previous
            + " and at most "
            + g.number();
      }
      previous = n;
    }
    if (chain.size() > 2 && previous != g.number()) {
      return "chain must end with its own layer "
          + CarrierFiles.layer(g.number())
          + ", found '"
          + g.top()
          + "'";
    }
    if (g.state() != null && !g.state().equals(CarrierFiles.state(g.number()))) {
      return "state must be " + CarrierFiles.state(g.number()) + ", found '" + g.state() + "'";
    }
    if (g.screenshot() != null && !g.screenshot().equals(CarrierFiles.screenshot(g.number()))) {
      return "screenshot must be " + CarrierFiles.screenshot(g.number()) + ", found '"
          + g.screenshot() + "'";
    }
    return null;
  }

  private static String lineProblem(Manifest m) {
    Set<Long> seen = new HashSet<>();
    Generation g = m.current();
    while (true) {
      if (!seen.add(g.number())) {
        return "generation " + g.number() + " is kept twice";
      }
      if (g.parent() == null || m.generation(g.parent()).isEmpty()) {
        break;
      }
      Generation parent = m.generation(g.parent()).orElseThrow();
      List<String> expected = new ArrayList<>(parent.chain());
      boolean bare = parent.chain().size() == 2 && g.chain().equals(parent.chain());
      expected.add(CarrierFiles.layer(g.number()));
      if (!bare && !g.chain().equals(expected)) {
        return "generation "
            + g.number()
            + ": chain "
            + g.chain()
            + " is not the chain of its "
            + "parent "
            + parent.number()
            + " plus its own layer";
      }
      g = parent;
    }
    if (seen.size() != m.generations().size()) {
      return "generations kept are not all ancestors of the current generation "
          + m.currentGeneration();
    }
    return null;
  }

  private static String pendingProblem(Manifest m) {
    PendingMerge p = m.pending();
    if (p == null) {
      return null;
    }
    if (!p.into().equals(CarrierFiles.COW)) {
      return "pending merge goes into '"
          + p.into()
          + "'; only "
          + CarrierFiles.COW
          + " is merged into";
    }
    for (Generation g : m.generations()) {
      if (g.chain().size() < 3 || !g.chain().get(2).equals(p.layer())) {
        return "pending merge of '"
            + p.layer()
            + "' but it is not the lowest layer of generation "
            + g.number();
      }
    }
    String above = Generations.layerAbove(m, p.layer());
    if (!Objects.equals(above, p.rebase())) {
      return "pending merge of '"
          + p.layer()
          + "' rebases '"
          + p.rebase()
          + "' but the layer above it is '"
          + above
          + "'";
    }
    return null;
  }

  private static String resetProblem(Manifest m) {
    PendingReset r = m.reset();
    if (r == null) {
      return null;
    }
    if (m.pending() != null) {
      return "a reset and a merge are both pending";
    }
    if (m.generations().size() != 1) {
      return "a reset is pending but " + m.generations().size() + " generations are kept (only"
          + " the current one can be)";
    }
    List<String> chain = m.current().chain();
    if (!r.into().equals(chain.get(0)) || !r.merge().equals(chain.subList(1, chain.size()))) {
      return "pending reset merges "
          + r.merge()
          + " into '"
          + r.into()
          + "' but the current chain is "
          + chain;
    }
    return null;
  }

  private static String syncsProblem(Manifest m) {
    Set<String> seen = new HashSet<>();
    for (SyncRecord r : m.syncs()) {
      if (!seen.add(r.hostId() + "\n" + r.image())) {
        return "two sync records of image '" + r.image() + "' on host " + r.hostId();
      }
      if (r.generation() > m.currentGeneration()) {
        return "sync record of image '"
            + r.image()
            + "' names generation "
            + r.generation()
            + ", newer than the current one ("
            + m.currentGeneration()
            + ")";
      }
    }
    return null;
  }

  private static String filesProblem(Manifest m) {
    for (String name : m.files().keySet()) {
      if (!CarrierFiles.isKnown(name)) {
        return "files lists '" + name + "', which is no carrier file name";
      }
    }
    Set<String> referenced = m.referencedFiles();
    for (String name : referenced) {
      if (!m.files().containsKey(name)) {
        return "'" + name + "' is referenced but has no entry in files";
      }
    }
    for (String name : m.files().keySet()) {
      if (!referenced.contains(name)) {
        return "files lists '" + name + "', which nothing references";
      }
    }
    return null;
  }

  private static String chunksProblem(Manifest m) {
    ChunkLists chunks = m.chunks();
    if (chunks == null) {
      return null;
    }
    int size = chunks.chunkSize();
    if (size < ChunkList.MIN_CHUNK || size > ChunkList.MAX_CHUNK || Integer.bitCount(size) != 1) {
      return "chunks.chunkSize ("
          + size
          + ") must be a power of two from "
          + ChunkList.MIN_CHUNK
          + " to "
          + ChunkList.MAX_CHUNK;
    }
    Set<String> images = m.keptImages();
    if (!chunks.byImage().keySet().equals(images)) {
      return "chunks.lists names " + chunks.byImage().keySet() + ", expected the kept images " + images;
    }
    return null;
  }
}
