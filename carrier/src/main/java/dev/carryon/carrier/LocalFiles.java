package dev.carryon.carrier;

import java.nio.file.Path;
import java.util.List;

/**
 * The local files a generation runs from (see {@link Carrier#localFiles}).
 *
 * @param chain the disk chain, base first, as local files: the carrier's own files in a local
 *     folder, else copies
 * @param kernel the kernel for direct boot, or null
 * @param initrd the initrd for direct boot, or null
 * @param screenshot the picture of the screen as the generation's state was saved (a restore is
 *     compared with it), or null
 */
public record LocalFiles(List<Path> chain, Path kernel, Path initrd, Path screenshot) {
  public LocalFiles {
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a disk chain needs at least a base");
    }
  }

  /** The top of the chain: the image a session's local COW is made over. */
  public Path top() {
    return chain.get(chain.size() - 1);
  }
}
