package dev.carryon.sync.export;

import dev.carryon.sync.disk.DiskLayout;
import dev.carryon.sync.disk.DiskVolume;
import dev.carryon.sync.disk.VolumeChooser;
import dev.carryon.sync.disk.VolumeException;
import dev.carryon.sync.ext4.BlockDevice;
import dev.carryon.sync.ext4.Ext4Filesystem;
import dev.carryon.sync.guestfs.Guestfish;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The guest file system an export reads a guest path from: the disk's layout scanned, the volume
 * holding the path chosen (or named by the user), and a reader opened on it: carryon's pure-Java
 * ext2/3/4 reader, or libguestfs for other file systems.
 */
public final class GuestSource implements Closeable {
  /** Which reader to use. */
  public enum Reader {
    /** Pure Java for ext2/3/4, libguestfs for anything else. */
    AUTO,
    /** Pure Java only: ext2/3/4. */
    JAVA,
    /** libguestfs, whatever the file system (slower: it boots an appliance). */
    LIBGUESTFS
  }

  /**
   * What the user chose.
   *
   * @param partition {@code --partition}, or null
   * @param lv {@code --lv}, or null
   * @param reader {@code --reader}
   */
  public record Selection(String partition, String lv, Reader reader) {
    /** No volume named, the automatic reader. */
    public static final Selection DEFAULT = new Selection(null, null, Reader.AUTO);
  }

  /** The disk's layout. */
  private final DiskLayout layout;
  /** The volume chosen and the path in it. */
  private final VolumeChooser.Choice choice;
  /** The guest path as the user gave it (it names the export). */
  private final String guestPath;
  /** The reader. */
  private final GuestTree tree;
  /** Which reader that is, for the user. */
  private final String readerName;
  /** Lines for the user: damage read around, a journal replayed. */
  private final List<String> warnings;

  private GuestSource(DiskLayout layout, VolumeChooser.Choice choice, String guestPath,
      GuestTree tree, String readerName, List<String> warnings) {
    this.layout = layout;
    this.choice = choice;
    this.guestPath = guestPath;
    this.tree = tree;
    this.readerName = readerName;
    this.warnings = List.copyOf(warnings);
  }

  /**
   * Scans {@code disk}, chooses the volume that holds {@code guestPath} and opens a reader on it.
   *
   * @param name how messages name the disk
   * @throws VolumeException when no volume can be chosen
   * @throws dev.carryon.sync.guestfs.GuestfsException when the volume needs libguestfs and it is
   *     missing or fails
   */
  public static GuestSource open(BlockDevice disk, String name, String guestPath,
      Selection selection) throws IOException {
    return open(disk, name, guestPath, selection, notice -> { });
  }

  /**
   * As {@link #open(BlockDevice, String, String, Selection)}; {@code notices} hears before a slow
   * step starts (libguestfs' appliance), e.g. to tell a user at a terminal.
   */
  public static GuestSource open(BlockDevice disk, String name, String guestPath,
      Selection selection, Consumer<String> notices) throws IOException {
    DiskLayout layout = DiskLayout.scan(disk, name);
    VolumeChooser.Choice choice =
        VolumeChooser.choose(layout, selection.partition(), selection.lv(), guestPath);
    DiskVolume v = choice.volume();
    List<String> warnings = new ArrayList<>(layout.warnings());
    boolean java = selection.reader() == Reader.JAVA
        || (selection.reader() == Reader.AUTO && v.fs().type().readInJava());
    if (java) {
      if (!v.fs().type().readInJava()) {
        throw new VolumeException(v.name() + " holds " + v.fs().type().display() + ", which"
            + " carryon's own reader does not read (ext2/3/4 only); read it through libguestfs"
            + " (--reader libguestfs, the default for it)");
      }
      // A hibernated guest's journal is replayed in memory, as a mount would: the normal case
      // for a carrier's disk, so no warning.
      Ext4Filesystem fs = Ext4Filesystem.open(v.device(), v.name());
      return new GuestSource(layout, choice, guestPath, new Ext4Tree(fs), "carryon's ext2/3/4"
          + " reader", warnings);
    }
    notices.accept("reading " + v.id() + " (" + v.fs().type().display() + ") through libguestfs;"
        + " its appliance takes 10-60 s to start");
    Guestfish fish = Guestfish.start(v.device(), v.name(), v.fs().type().display());
    return new GuestSource(layout, choice, guestPath, new GuestfsTree(fish, v.name()),
        "libguestfs", warnings);
  }

  /** The disk's layout. */
  public DiskLayout layout() {
    return layout;
  }

  /** The volume chosen, where the guest path lies in it, and why. */
  public VolumeChooser.Choice choice() {
    return choice;
  }

  /** "carryon's ext2/3/4 reader" or "libguestfs". */
  public String readerName() {
    return readerName;
  }

  /** Lines to show the user: damage read around (a GPT backup used, LVM metadata unreadable). */
  public List<String> warnings() {
    return warnings;
  }

  /** The path within the chosen volume's file system. */
  String path() {
    return choice.path();
  }

  /** The name the export lands under, from the guest path as given. */
  List<String> topName() {
    return Exporter.topName(guestPath);
  }

  GuestTree tree() {
    return tree;
  }

  @Override
  public void close() throws IOException {
    tree.close();
  }
}
