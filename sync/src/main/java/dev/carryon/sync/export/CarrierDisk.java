package dev.carryon.sync.export;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.Generation;
import dev.carryon.cow.ImageChain;
import dev.carryon.sync.ext4.BlockDevice;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The guest's disk as of a carrier's current generation: the generation's disk chain read through
 * cow-merge, as a {@link BlockDevice}. This is the one place export opens a carrier; partitions,
 * LVM and file systems are read on top of {@link #device()} ({@link GuestSource}). The carrier is
 * opened read-only and takes no lock.
 */
public final class CarrierDisk implements Closeable {
  /** The generation read. */
  private final Generation generation;

  /** Its chain, open until {@link #close}. */
  private final ImageChain chain;

  /** The chain's guest view. */
  private final BlockDevice device;

  /** How messages name the disk: the carrier folder and generation. */
  private final String name;

  private CarrierDisk(Generation generation, ImageChain chain, BlockDevice device, String name) {
    this.generation = generation;
    this.chain = chain;
    this.device = device;
    this.name = name;
  }

  /** Opens the disk of the current generation of the carrier in {@code carrierFolder}. */
  public static CarrierDisk open(Path carrierFolder) throws IOException {
    Carrier c = Carrier.open(carrierFolder);
    Generation g = c.current();
    ImageChain chain = ImageChain.open(c.file(g.top()));
    try {
      BlockDevice device = BlockDevice.of(chain.virtualSize(), chain::read);
      String name = c.folder() + " (generation " + g.number() + ")";
      return new CarrierDisk(g, chain, device, name);
    } catch (RuntimeException e) {
      chain.close();
      throw e;
    }
  }

  /** The generation whose disk is read. */
  public Generation generation() {
    return generation;
  }

  /** The guest's whole disk, read-only. */
  public BlockDevice device() {
    return device;
  }

  /** How messages name the disk: "CARRIER (generation N)". */
  public String name() {
    return name;
  }

  @Override
  public void close() throws IOException {
    chain.close();
  }
}
