package dev.carryon.sync.export;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.ImageChain;
import dev.carryon.sync.ext4.BlockDevice;
import dev.carryon.sync.ext4.Ext4Filesystem;
import java.io.Closeable;
import java.io.IOException;

/**
 * The guest's filesystem as of a carrier's current generation: the generation's disk chain read
 * through cow-merge, as a {@link BlockDevice} holding an ext2/3/4 filesystem on the whole disk (no
 * partition table). The carrier is opened read-only and takes no lock.
 */
public final class CarrierDisk implements Closeable {
  /** The generation read. */
  private final Generation generation;

  /** Its chain, open until {@link #close}. */
  private final ImageChain chain;

  /** The filesystem on it. */
  private final Ext4Filesystem filesystem;

  private CarrierDisk(Generation generation, ImageChain chain, Ext4Filesystem filesystem) {
    this.generation = generation;
    this.chain = chain;
    this.filesystem = filesystem;
  }

  /**
   * Opens the current generation of the carrier in {@code storage} and the filesystem on its disk;
   * an {@link dev.carryon.sync.ext4.Ext4Exception} says why there is none.
   */
  public static CarrierDisk open(CarrierStorage storage) throws IOException {
    Carrier c = Carrier.open(storage);
    Generation g = c.current();
    ImageChain chain = c.openChain(g.chain());
    try {
      BlockDevice device = BlockDevice.of(chain.virtualSize(), chain::read);
      String name = c.location() + " (generation " + g.number() + ")";
      return new CarrierDisk(g, chain, Ext4Filesystem.open(device, name));
    } catch (IOException | RuntimeException e) {
      chain.close();
      throw e;
    }
  }

  /** The generation whose disk is read. */
  public Generation generation() {
    return generation;
  }

  /** The guest filesystem. */
  public Ext4Filesystem filesystem() {
    return filesystem;
  }

  @Override
  public void close() throws IOException {
    chain.close();
  }
}
