package dev.carryon.sync.export;

import dev.carryon.sync.disk.VolumeException;
import dev.carryon.sync.ext4.E2fs;
import dev.carryon.sync.ext4.Ext4Exception;
import dev.carryon.sync.ext4.RawFileDevice;
import dev.carryon.sync.lvm.LvmException;
import dev.carryon.sync.lvm.LvmTool;
import dev.carryon.sync.partition.PartitionException;
import dev.carryon.sync.partition.Sfdisk;
import dev.carryon.testdata.fuzz.Field;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Mutator;
import dev.carryon.testdata.fuzz.Seed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Fuzzes the readers of a partitioned guest disk: the partition table (GPT, with its backup, and
 * MBR with logical partitions), LVM2 (label, metadata area, metadata text), the choice of volume
 * (fstab: LABEL=, UUID=, /dev/mapper names) and the ext2/3/4 file system chosen, walked with
 * carryon's own reader as {@code export --guest-path /home} walks it. Most mutations are followed by
 * fresh GPT and LVM checksums, so that they reach the checks behind the CRCs; a share of them
 * change a number in the LVM metadata text. The documented refusals: {@link PartitionException},
 * {@link LvmException}, {@link VolumeException} and {@link Ext4Exception}, naming the disk.
 */
public final class DiskFuzzTarget implements FuzzTarget {
  static final String FILE = "disk.img";
  private static final long KIB = 1024;
  private static final String GUEST_PATH = "/home";
  private static final String LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
  /** Bytes read of each file at most. */
  private static final int READ_LIMIT = 1 << 20;

  @Override
  public String name() {
    return "disk";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    Path home = tree(work.resolve("home"), "me/notes.txt");
    List<Seed> seeds = new ArrayList<>();

    Path gpt = Sfdisk.create(work.resolve("gpt.img"), 2560 * KIB, "label: gpt\n"
        + "start=64, size=1024KiB, type=" + LINUX + ", name=root\n"
        + "start=2112, size=1024KiB, type=933AC7E1-2EB4-4F13-B844-0E14E2AEF915, name=home\n");
    mkfs(gpt, 64 * 512, root(work.resolve("gpt-root"), "LABEL=root / ext4 defaults 0 1\n"
        + "LABEL=home /home ext4 defaults 0 2\n"), "-L", "root");
    mkfs(gpt, 2112 * 512, home, "-L", "home");
    seeds.add(seed("GPT: root (fstab mounts /home by LABEL) and home", gpt));

    Path mbr = Sfdisk.create(work.resolve("mbr.img"), 3 * 1024 * KIB, "label: dos\n"
        + "start=64, size=1024KiB, type=83\n"
        + "start=2112, type=5\n"
        + "start=2176, size=960KiB, type=83\n");
    String homeUuid = "3a9f0c1e-2b4d-4e6f-8a1b-2c3d4e5f6a7b";
    mkfs(mbr, 64 * 512, root(work.resolve("mbr-root"), "LABEL=root / ext4 defaults 0 1\n"
        + "UUID=" + homeUuid + " /home ext4 defaults 0 2\n"), "-L", "root");
    mkfs(mbr, Sfdisk.entries(mbr).get(2).start() * 512, home, "-U", homeUuid);
    seeds.add(seed("MBR: root, an extended partition with a logical home (fstab by UUID)", mbr));

    Path lvm = Sfdisk.create(work.resolve("lvm.img"), 3 * 1024 * KIB, "label: gpt\n"
        + "start=64, size=2560KiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n");
    String vg = "fuzz" + Long.toHexString(new Random().nextLong() & 0xFFFFFFL);
    Path rootFs = work.resolve("lv-root.img");
    Path homeFs = work.resolve("lv-home.img");
    E2fs.mkfs(rootFs, "ext4", "512K", root(work.resolve("lvm-root"), "/dev/mapper/" + vg + "-root / ext4 defaults"
        + " 0 1\n/dev/" + vg + "/home /home ext4 defaults 0 2\n"), "-b", "1024", "-O", "^has_journal");
    E2fs.mkfs(homeFs, "ext4", "512K", home, "-b", "1024", "-O", "^has_journal");
    try (LvmTool tool = LvmTool.attach(lvm, 64 * 512, 2560 * KIB)) {
      tool.run("pvcreate", "-q", "--metadatasize", "64k", "--dataalignment", "128k", tool.loop(0));
      tool.run("vgcreate", "-q", "-s", "128k", vg, tool.loop(0));
      tool.lvcreate(vg, "root", 4);
      tool.lvcreate(vg, "home", 4);
      tool.writeVolume(vg + "/root", rootFs);
      tool.writeVolume(vg + "/home", homeFs);
    }
    seeds.add(seed("GPT with an LVM2 PV: root and home as logical volumes", lvm));
    return seeds;
  }

  /** {@code root}'s tree: /etc/fstab, /etc/hostname, /home. */
  private static Path root(Path root, String fstab) throws Exception {
    tree(root, "etc/hostname");
    Files.writeString(root.resolve("etc/fstab"), "# /etc/fstab\n" + fstab);
    Files.createDirectories(root.resolve("home"));
    return root;
  }

  private static Path tree(Path root, String... files) throws Exception {
    for (String f : files) {
      Path p = root.resolve(f);
      Files.createDirectories(p.getParent());
      Files.writeString(p, f + "\n");
    }
    return root;
  }

  /** A 1 KiB-block ext4 without journal at {@code offset} of {@code disk}, filling its partition. */
  private static void mkfs(Path disk, long offset, Path source, String... options) throws Exception {
    Path part = disk.resolveSibling(disk.getFileName() + "-" + offset + ".img");
    List<String> all = new ArrayList<>(List.of("-b", "1024", "-O", "^has_journal"));
    all.addAll(List.of(options));
    E2fs.mkfs(part, "ext4", "960K", source, all.toArray(String[]::new));
    try (FileChannel in = FileChannel.open(part);
        FileChannel out = FileChannel.open(disk, StandardOpenOption.WRITE)) {
      in.transferTo(0, in.size(), out.position(offset));
    }
  }

  private static Seed seed(String what, Path disk) throws Exception {
    byte[] content = Files.readAllBytes(disk);
    return new Seed(what, FuzzInput.of(FILE, content), DiskFields.of(FILE, content));
  }

  @Override
  public FuzzInput mutate(FuzzInput in, List<Field> fields, Mutator m) {
    byte[] disk = in.get(FILE);
    byte[] changed = m.random().nextInt(5) == 0
        ? DiskFields.mutateMetadataText(disk, m.random())
        : m.mutate(in, DiskFields.of(FILE, disk)).get(FILE);
    return in.with(FILE, m.random().nextInt(5) == 0 ? changed : DiskFields.withChecksums(changed));
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    Path image = input.resolve(FILE);
    try (RawFileDevice device = RawFileDevice.open(image);
        GuestSource source = GuestSource.open(device, image.toString(), GUEST_PATH,
            new GuestSource.Selection(null, null, GuestSource.Reader.JAVA))) {
      source.layout().describe();
      source.tree().walk(source.path(), source.topName(), new Reading());
    }
  }

  /**
   * Reads what an export would write, up to {@link #READ_LIMIT} bytes of each file (a valid sparse
   * file may be terabytes of zeros; the ext4 target exports through the real sink).
   */
  private static final class Reading implements TreeVisitor {
    private final byte[] buffer = new byte[64 << 10];

    @Override
    public void directory(List<String> path, GuestFile dir) {}

    @Override
    public void endDirectory(List<String> path, GuestFile dir) {}

    @Override
    public void file(List<String> path, GuestFile file, InputStream data) throws IOException {
      for (int n = 0, read = 0; read < READ_LIMIT && (n = data.read(buffer)) >= 0; read += n) {
        // the bytes are not looked at; reading them walks the block map
      }
    }

    @Override
    public void symlink(List<String> path, GuestFile link, String target) {}

    @Override
    public void skipped(String guestPath, String why) {}
  }

  @Override
  public String unexpected(Throwable error, Path input) {
    if (!(error instanceof PartitionException || error instanceof LvmException
        || error instanceof VolumeException || error instanceof Ext4Exception)) {
      return "not a PartitionException, LvmException, VolumeException or Ext4Exception";
    }
    if (!String.valueOf(error.getMessage()).startsWith(input.resolve(FILE).toString())) {
      return "the message does not start with the disk " + input.resolve(FILE);
    }
    return null;
  }
}
