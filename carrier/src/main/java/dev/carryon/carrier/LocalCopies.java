package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Local files holding a carrier's files, for what must read them as files on this host (QEMU reads
 * the disk chain, the kernel and the initrd): a host cache of a carrier that is not a local folder.
 * A local folder's own files are used in place and never asked for.
 */
@FunctionalInterface
public interface LocalCopies {
  /** No copies: a carrier that is not a local folder cannot be run from. */
  LocalCopies NONE =
      (storage, name, record, progress) -> {
        throw new CarrierException(
            storage.location() + ": the carrier is not a local folder and this command has no"
                + " host cache to copy " + name + " into");
      };

  /**
   * A local file holding exactly the bytes {@code record} describes of carrier file {@code name},
   * copied from {@code storage} (and checked against {@code record}) when this host does not hold
   * them yet. The file must stay as it is while the caller uses it.
   *
   * @param progress told the bytes copied so far, when a copy is made
   */
  Path copyOf(CarrierStorage storage, String name, FileRecord record, Progress progress)
      throws IOException;
}
