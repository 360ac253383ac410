package dev.carryon.sync.lvm;

import dev.carryon.sync.ext4.E2fs;
import dev.carryon.testdata.AsRoot;
import dev.carryon.testdata.FileTrees;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * LVM2's own tools on parts of a test disk image: each part gets a loop device (losetup -o
 * --sizelimit: this kernel makes no partition nodes), and the tools run with their own
 * configuration folder that lets them see those loop devices only, activates nothing (there is no
 * device-mapper here) and writes no backups into the host's /etc/lvm. Needs root (or sudo
 * without a password); {@link #close} always detaches the loop devices.
 *
 * <p>The tools are the oracle for where a logical volume's extents lie: {@link #writeVolume}
 * copies a file system image there by what {@code lvs} reports, for the reader to find again.
 */
public final class LvmTool implements AutoCloseable {
  /** The disk image. */
  private final Path image;
  /** Loop device of each part, e.g. /dev/loop3. */
  private final List<String> loops = new ArrayList<>();
  /** Byte offset of each part in the image. */
  private final List<Long> offsets = new ArrayList<>();
  /** LVM_SYSTEM_DIR: lvm.conf and nothing else. */
  private final Path system;

  private LvmTool(Path image, Path system) {
    this.image = image;
    this.system = system;
  }

  /**
   * Attaches loop devices over parts of {@code image}, given as pairs of byte offset and length.
   */
  public static LvmTool attach(Path image, long... offsetsAndLengths) throws IOException {
    LvmTool t = new LvmTool(image, Files.createTempDirectory("carryon-lvm"));
    try {
      for (int i = 0; i < offsetsAndLengths.length; i += 2) {
        t.loops.add(exec(AsRoot.command("losetup", "--show", "-f", "-o",
            Long.toString(offsetsAndLengths[i]), "--sizelimit",
            Long.toString(offsetsAndLengths[i + 1]), image.toString())).trim());
        t.offsets.add(offsetsAndLengths[i]);
      }
      StringBuilder filter = new StringBuilder();
      for (String loop : t.loops) {
        filter.append("\"a|^").append(loop).append("$|\", ");
      }
      Files.writeString(t.system.resolve("lvm.conf"), "global { activation = 0 }\n"
          + "devices { global_filter = [ " + filter + "\"r|.*|\" ] use_devicesfile = 0"
          + " obtain_device_list_from_udev = 0 hints = \"none\" }\n"
          + "backup { backup = 0 archive = 0 }\n");
      return t;
    } catch (IOException | RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /** The loop device of part {@code i}. */
  public String loop(int i) {
    return loops.get(i);
  }

  /** Runs an LVM command (e.g. "lvcreate", "-n", "root", ...) and returns its output. */
  public String run(String... args) throws IOException {
    List<String> cmd = AsRoot.command("env", "LVM_SYSTEM_DIR=" + system, // sudo resets the env
        "LVM_SUPPRESS_FD_WARNINGS=1");
    cmd.addAll(List.of(args));
    return exec(cmd);
  }

  /** Creates a linear volume of {@code extents} extents without touching its data. */
  public void lvcreate(String vg, String lv, int extents, String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of("lvcreate", "-q", "-an", "-Zn", "-y", "-n", lv,
        "-l", Integer.toString(extents)));
    args.add(vg);
    args.addAll(List.of(more));
    run(args.toArray(String[]::new));
  }

  /**
   * Writes {@code fsImage} into logical volume {@code vgLv} extent by extent, where {@code lvs}
   * says each lies on the parts attached.
   */
  public void writeVolume(String vgLv, Path fsImage) throws IOException {
    String vg = vgLv.substring(0, vgLv.indexOf('/'));
    long extent = number(run("vgs", "--noheadings", "--units", "b", "--nosuffix", "-o",
        "vg_extent_size", vg));
    Map<String, Long> peStart = new HashMap<>();
    for (String line : run("pvs", "--noheadings", "--units", "b", "--nosuffix", "-o",
        "pv_name,pe_start").strip().split("\n")) {
      String[] f = line.strip().split("\\s+");
      peStart.put(f[0], Long.parseLong(f[1]));
    }
    try (FileChannel in = FileChannel.open(fsImage);
        FileChannel out = FileChannel.open(image, StandardOpenOption.WRITE)) {
      for (String line : run("lvs", "--segments", "--noheadings", "--separator", "|", "-o",
          "seg_start_pe,seg_size_pe,seg_pe_ranges", vgLv).strip().split("\n")) {
        String[] f = line.strip().split("\\|");
        long lvExtent = Long.parseLong(f[0]);
        long count = Long.parseLong(f[1]);
        String pv = f[2].substring(0, f[2].indexOf(':'));
        long pvExtent = Long.parseLong(f[2].substring(f[2].indexOf(':') + 1, f[2].indexOf('-')));
        long at = offsets.get(loops.indexOf(pv)) + peStart.get(pv) + pvExtent * extent;
        long from = lvExtent * extent;
        long len = Math.min(count * extent, Math.max(0, in.size() - from));
        for (long done = 0; done < len; ) {
          done += in.transferTo(from + done, len - done, out.position(at + done));
        }
      }
    }
  }

  /**
   * Rewrites the metadata text in the first metadata area of the physical volume starting at
   * {@code pvOffset} of {@code image}, with fresh CRCs: metadata LVM's tools would refuse to write
   * (a thin pool without device-mapper, extents past the end of a PV), written as they would.
   *
   * @param wrap place the text so that it runs past the end of the area and continues after the
   *     area's header, as LVM2 before 2.03 could leave it
   */
  public static void rewriteMetadata(Path image, long pvOffset, boolean wrap,
      UnaryOperator<String> edit) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      ByteBuffer label = null;
      for (int s = 0; s < 4 && label == null; s++) {
        ByteBuffer b = read(f, pvOffset + s * 512L, 512);
        if (LvmFormat.bytesAt(b, LvmFormat.L_ID, LvmFormat.LABEL_ID)) {
          label = b;
        }
      }
      if (label == null) {
        throw new IOException("no LVM2 label at byte " + pvOffset + " of " + image);
      }
      int at = label.getInt(LvmFormat.L_OFFSET) + LvmFormat.PV_AREAS;
      while (label.getLong(at) != 0) {
        at += 16;
      }
      at += 16;
      long area = pvOffset + label.getLong(at);
      long areaSize = label.getLong(at + 8);
      ByteBuffer h = read(f, area, 512);
      long textOffset = h.getLong(LvmFormat.MDA_RAW_LOCNS);
      int textSize = (int) h.getLong(LvmFormat.MDA_RAW_LOCNS + 8);
      ByteBuffer text = read(f, area + textOffset, textSize);
      String old = new String(text.array(), 0, textSize - 1, StandardCharsets.UTF_8);
      byte[] edited = (edit.apply(old) + "\0").getBytes(StandardCharsets.UTF_8);
      if (wrap) {
        textOffset = areaSize - 512 * (edited.length / 1024 + 1); // about half past the end
        int first = (int) (areaSize - textOffset);
        f.seek(area + textOffset);
        f.write(edited, 0, first);
        f.seek(area + LvmFormat.MDA_HEADER_SIZE);
        f.write(edited, first, edited.length - first);
      } else {
        if (textOffset + edited.length > areaSize) {
          throw new IOException("edited metadata does not fit the area");
        }
        f.seek(area + textOffset);
        f.write(edited);
      }
      h.putLong(LvmFormat.MDA_RAW_LOCNS, textOffset);
      h.putLong(LvmFormat.MDA_RAW_LOCNS + 8, edited.length);
      h.putInt(LvmFormat.MDA_RAW_LOCNS + 16, LvmFormat.crc(LvmFormat.INITIAL_CRC,
          ByteBuffer.wrap(edited), edited.length));
      h.putInt(LvmFormat.MDA_CRC, LvmFormat.crc(LvmFormat.INITIAL_CRC,
          h.duplicate().position(LvmFormat.MDA_MAGIC), 512 - LvmFormat.MDA_MAGIC));
      f.seek(area);
      f.write(h.array());
    }
  }

  @Override
  public void close() throws IOException {
    AssertionError failed = null;
    for (String loop : loops) {
      try {
        exec(AsRoot.command("losetup", "-d", loop));
      } catch (AssertionError e) { // detach the others all the same
        failed = e;
      }
    }
    loops.clear();
    FileTrees.deleteTree(system);
    if (failed != null) {
      throw failed;
    }
  }

  private static long number(String s) {
    return Long.parseLong(s.strip());
  }

  private static ByteBuffer read(RandomAccessFile f, long offset, int length)
      throws IOException {
    byte[] b = new byte[length];
    f.seek(offset);
    f.readFully(b);
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Runs a command, failing the test with its output when it fails (root is needed). */
  private static String exec(List<String> cmd) throws IOException {
    return E2fs.run(cmd);
  }
}
