package dev.carryon.sync.lvm;

import static dev.carryon.sync.lvm.LvmFormat.*;

import dev.carryon.sync.ext4.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A device carrying an LVM2 label: its UUID, size, and the newest volume group metadata text
 * found in its metadata areas (each area's header and text checked by their CRCs; a damaged area
 * is passed over when another holds the metadata).
 *
 * <pre>
 * sector 0..3:  label: "LABELONE" | sector u64 | CRC u32 | offset u32 | "LVM2 001"
 *               PV header: UUID[32] | device size u64 | data areas... 0 | metadata areas... 0
 * metadata area: header: CRC | magic | version | start u64 | size u64 | raw_locn (offset, size,
 *               CRC, flags) ... 0; then a circular buffer of text, wrapping back to just after
 *               the header
 * </pre>
 */
final class PhysicalVolume {
  /** The device. */
  final BlockDevice device;
  /** How messages name it. */
  final String name;
  /** UUID without dashes. */
  final String uuid;
  /** The metadata text, null for a PV in no volume group. */
  final String metadata;
  /** Where {@link #metadata} was read, for messages. */
  final String metadataWhere;

  private PhysicalVolume(BlockDevice device, String name, String uuid, String metadata,
      String metadataWhere) {
    this.device = device;
    this.name = name;
    this.uuid = uuid;
    this.metadata = metadata;
    this.metadataWhere = metadataWhere;
  }

  /** The sector of {@code device} holding an LVM2 label, or -1. */
  static int labelSector(BlockDevice device) throws IOException {
    for (int s = 0; s < LABEL_SCAN_SECTORS; s++) {
      if ((s + 1L) * SECTOR > device.size()) {
        break;
      }
      ByteBuffer b = sector(device, (long) s * SECTOR);
      if (bytesAt(b, L_ID, LABEL_ID) && bytesAt(b, L_TYPE, LABEL_TYPE)) {
        return s;
      }
    }
    return -1;
  }

  /** Reads the PV on {@code device}, which {@link #labelSector} found labelled. */
  static PhysicalVolume read(BlockDevice device, String name) throws IOException {
    int s = labelSector(device);
    if (s < 0) {
      throw new LvmException(name + ": no LVM2 label in the first " + LABEL_SCAN_SECTORS
          + " sectors");
    }
    ByteBuffer label = sector(device, (long) s * SECTOR);
    String where = name + ": LVM2 label in sector " + s;
    if (label.getLong(L_SECTOR) != s) {
      throw new LvmException(where + " says it is in sector " + label.getLong(L_SECTOR));
    }
    int crc = crc(INITIAL_CRC, label.duplicate().position(L_OFFSET), SECTOR - L_OFFSET);
    if (crc != label.getInt(L_CRC)) {
      throw new LvmException(String.format("%s: CRC 0x%08x does not match its contents"
          + " (0x%08x)", where, label.getInt(L_CRC), crc));
    }
    long offset = label.getInt(L_OFFSET) & 0xFFFF_FFFFL;
    if (offset < L_TYPE + LABEL_TYPE.length || offset + PV_AREAS + 2 * LOCN_SIZE > SECTOR) {
      throw new LvmException(where + ": PV header offset " + offset + " does not fit the sector");
    }
    ByteBuffer pv = label.slice((int) offset, SECTOR - (int) offset).order(ByteOrder.LITTLE_ENDIAN);
    byte[] id = new byte[ID_LEN];
    pv.get(PV_UUID, id);
    String uuid = new String(id, StandardCharsets.US_ASCII);
    int at = PV_AREAS;
    at = skipList(pv, at, where); // data areas: pe_start in the metadata says where extents are
    List<long[]> areas = new ArrayList<>();
    while (true) {
      if (at + LOCN_SIZE > pv.capacity()) {
        throw new LvmException(where + ": the metadata area list runs past the sector");
      }
      long areaOffset = pv.getLong(at);
      long areaSize = pv.getLong(at + 8);
      at += LOCN_SIZE;
      if (areaOffset == 0) {
        break;
      }
      areas.add(new long[] {areaOffset, areaSize});
    }

    List<String> problems = new ArrayList<>();
    for (long[] area : areas) {
      String areaWhere = name + ": metadata area at byte " + area[0];
      try {
        String text = metadataText(device, area[0], area[1], areaWhere);
        return new PhysicalVolume(device, name, uuid, text, areaWhere);
      } catch (LvmException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new LvmException(String.join("; ", problems));
    }
    return new PhysicalVolume(device, name, uuid, null, name);
  }

  /** The text in the metadata area at {@code offset}; null when it holds none (an orphan PV). */
  private static String metadataText(BlockDevice device, long offset, long size, String where)
      throws IOException {
    if (offset < 0 || size < MDA_HEADER_SIZE || size > device.size() - offset) {
      throw new LvmException(where + ": " + size + " bytes do not fit the device ("
          + device.size() + " bytes)");
    }
    ByteBuffer h = sector(device, offset);
    int crc = crc(INITIAL_CRC, h.duplicate().position(MDA_MAGIC), MDA_HEADER_SIZE - MDA_MAGIC);
    if (!bytesAt(h, MDA_MAGIC, FMTT_MAGIC)) {
      throw new LvmException(where + ": no metadata area header (bad magic)");
    }
    if (crc != h.getInt(MDA_CRC)) {
      throw new LvmException(String.format("%s: header CRC 0x%08x does not match its contents"
          + " (0x%08x)", where, h.getInt(MDA_CRC), crc));
    }
    if (h.getInt(MDA_VERSION) != FMTT_VERSION || h.getLong(MDA_START) != offset
        || h.getLong(MDA_SIZE) != size) {
      throw new LvmException(where + ": header says version " + h.getInt(MDA_VERSION)
          + ", start " + h.getLong(MDA_START) + ", size " + h.getLong(MDA_SIZE) + " (expected 1, "
          + offset + ", " + size + ")");
    }
    for (int at = MDA_RAW_LOCNS; at + RAW_LOCN_SIZE <= MDA_HEADER_SIZE; at += RAW_LOCN_SIZE) {
      long textOffset = h.getLong(at);
      long textSize = h.getLong(at + 8);
      int textCrc = h.getInt(at + 16);
      int flags = h.getInt(at + 20);
      if (textOffset == 0) {
        return null;
      }
      if ((flags & RAW_LOCN_IGNORED) != 0) {
        continue;
      }
      return readText(device, offset, size, textOffset, textSize, textCrc, where);
    }
    return null;
  }

  private static String readText(BlockDevice device, long area, long areaSize, long textOffset,
      long textSize, int expectedCrc, String where) throws IOException {
    long ring = areaSize - MDA_HEADER_SIZE;
    if (textOffset < MDA_HEADER_SIZE || textOffset >= areaSize || textSize <= 0
        || textSize > ring || textSize > MAX_METADATA_BYTES) {
      throw new LvmException(where + ": metadata text of " + textSize + " bytes at offset "
          + textOffset + " does not fit the " + areaSize + "-byte area");
    }
    ByteBuffer text = ByteBuffer.allocate((int) textSize);
    long first = Math.min(textSize, areaSize - textOffset);
    device.read(text.slice(0, (int) first), area + textOffset);
    if (first < textSize) { // wrapped round the circular buffer
      device.read(text.slice((int) first, (int) (textSize - first)), area + MDA_HEADER_SIZE);
    }
    int crc = crc(INITIAL_CRC, text.duplicate().position(0), (int) textSize);
    if (crc != expectedCrc) {
      throw new LvmException(String.format("%s: metadata text CRC 0x%08x does not match its"
          + " contents (0x%08x)", where, expectedCrc, crc));
    }
    byte[] raw = text.array();
    int len = 0;
    while (len < raw.length && raw[len] != 0) {
      len++;
    }
    return new String(raw, 0, len, StandardCharsets.UTF_8);
  }

  /** Skips a zero-ended disk_locn list starting at {@code at}; returns the offset after it. */
  private static int skipList(ByteBuffer pv, int at, String where) throws LvmException {
    while (true) {
      if (at + LOCN_SIZE > pv.capacity()) {
        throw new LvmException(where + ": the data area list runs past the sector");
      }
      long offset = pv.getLong(at);
      at += LOCN_SIZE;
      if (offset == 0) {
        return at;
      }
    }
  }

  private static ByteBuffer sector(BlockDevice device, long offset) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    device.read(b, offset);
    return b.flip();
  }
}
