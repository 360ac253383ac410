package dev.carryon.cow.qcow2;

import static dev.carryon.cow.qcow2.Qcow2Format.*;

import dev.carryon.cow.ImageFormatException;
import dev.carryon.cow.UnsupportedImageException;
import dev.carryon.cow.io.Buffers;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The qcow2 header, its extensions and the backing file name, all in the first cluster:
 *
 * <pre>
 *   0 .. header_length        fixed fields (72 bytes in version 2, >= 104 in version 3)
 *   header_length ..          extensions: type u32, length u32, data padded to 8; type 0 ends
 *   backing_file_offset ..    backing file name, backing_file_size bytes, not NUL-terminated
 * </pre>
 *
 * Fields this engine does not know (extra header bytes, unknown extensions) are kept and written
 * back unchanged when the header is rewritten.
 */
final class Header {
  /** The image, for messages. */
  final Path file;
  /** The raw fixed part, header_length bytes, so unknown trailing fields survive a rewrite. */
  private final byte[] fixed;

  int version;
  int clusterBits;
  long size;
  int l1Size;
  long l1TableOffset;
  long refcountTableOffset;
  int refcountTableClusters;
  int nbSnapshots;
  long snapshotsOffset;
  long incompatible;
  long compatible;
  long autoclear;
  int refcountOrder;
  int compressionType;
  /** crypt_method: {@link Qcow2Format#CRYPT_NONE} or {@link Qcow2Format#CRYPT_LUKS}. */
  int cryptMethod;
  /** Where the LUKS header's clusters start (cluster-aligned), 0 when not encrypted. */
  long cryptoOffset;
  /** Bytes of the LUKS header and its key material (its clusters may hold more). */
  long cryptoLength;
  /** Extensions other than the backing format, the encryption header and the end marker, in file order. */
  final List<Extension> otherExtensions = new ArrayList<>();
  String backingFile;
  String backingFormat;

  /** One header extension kept as bytes. */
  record Extension(int type, byte[] data) {}

  private Header(Path file, byte[] fixed) {
    this.file = file;
    this.fixed = fixed;
  }

  /** A fresh version 2 or 3 header, for a new image. */
  static Header fresh(Path file, int version) {
    Header h = new Header(file, new byte[version == 2 ? V2_HEADER_LENGTH : V3_HEADER_LENGTH]);
    h.version = version;
    h.refcountOrder = V2_REFCOUNT_ORDER;
    return h;
  }

  long clusterSize() {
    return 1L << clusterBits;
  }

  int headerLength() {
    return fixed.length;
  }

  boolean extendedL2() {
    return (incompatible & INCOMPAT_EXTL2) != 0;
  }

  /** Bytes per L2 entry: 8, or 16 with extended L2 entries. */
  int l2EntryBytes() {
    return extendedL2() ? 16 : 8;
  }

  int l2Entries() {
    return (int) (clusterSize() / l2EntryBytes());
  }

  /** L1 entries needed to map {@link #size} bytes. */
  long l1EntriesNeeded() {
    long clusters = ceilDiv(size, clusterSize());
    return ceilDiv(clusters, l2Entries());
  }

  /**
   * Reads and validates the header, in the order QEMU does: magic, version, cluster size, header
   * length, incompatible features, corrupt bit, refcount order; then every table's offset and size
   * against the file size, before any table is allocated.
   */
  static Header read(Storage whole) throws IOException {
    Path file = whole.path();
    long fileSize = whole.size();
    if (fileSize < V2_HEADER_LENGTH) {
      throw new ImageFormatException(
          file, "truncated qcow2 header: the file has " + fileSize + " bytes, a header needs 72");
    }
    // The header, its extensions and the backing name: one read of the head of the file.
    Storage storage = HeadOfFile.of(whole, fileSize);
    ByteBuffer b = ByteBuffer.allocate(V2_HEADER_LENGTH);
    storage.readFully(b, 0);
    if (b.getInt(OFF_MAGIC) != MAGIC) {
      throw new ImageFormatException(file, "not a qcow2 image (bad magic)");
    }
    int version = b.getInt(OFF_VERSION);
    if (version != 2 && version != 3) {
      throw new UnsupportedImageException(file, "qcow2 version " + version + " is not supported");
    }
    int clusterBits = b.getInt(OFF_CLUSTER_BITS);
    if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
      throw new ImageFormatException(
          file, "cluster_bits (" + clusterBits + ") must be between 9 and 21");
    }
    long clusterSize = 1L << clusterBits;
    int headerLength = V2_HEADER_LENGTH;
    if (version == 3) {
      if (fileSize < V3_MIN_HEADER_LENGTH) {
        throw new ImageFormatException(
            file, "truncated qcow2 header: the file has " + fileSize + " bytes, a v3 header needs 104");
      }
      ByteBuffer len = ByteBuffer.allocate(4);
      storage.readFully(len, OFF_HEADER_LENGTH);
      headerLength = len.getInt(0);
      if (headerLength < V3_MIN_HEADER_LENGTH || headerLength % 8 != 0 || headerLength > clusterSize) {
        throw new ImageFormatException(
            file,
            "header_length ("
                + headerLength
                + ") must be a multiple of 8 between 104 and the cluster size ("
                + clusterSize
                + ")");
      }
      if (fileSize < headerLength) {
        throw new ImageFormatException(
            file,
            "truncated qcow2 header: the file has " + fileSize + " bytes, the header " + headerLength);
      }
    }
    byte[] fixed = new byte[headerLength];
    storage.readFully(ByteBuffer.wrap(fixed), 0);
    Header h = new Header(file, fixed);
    h.parseFixed();
    h.validateFeatures();
    h.validateTables(fileSize);
    h.readExtensionsAndBackingName(storage, fileSize);
    h.validateEncryption(fileSize);
    return h;
  }

  private void parseFixed() {
    ByteBuffer b = ByteBuffer.wrap(fixed);
    version = b.getInt(OFF_VERSION);
    clusterBits = b.getInt(OFF_CLUSTER_BITS);
    size = b.getLong(OFF_SIZE);
    cryptMethod = b.getInt(OFF_CRYPT_METHOD);
    l1Size = b.getInt(OFF_L1_SIZE);
    l1TableOffset = b.getLong(OFF_L1_TABLE_OFFSET);
    refcountTableOffset = b.getLong(OFF_REFCOUNT_TABLE_OFFSET);
    refcountTableClusters = b.getInt(OFF_REFCOUNT_TABLE_CLUSTERS);
    nbSnapshots = b.getInt(OFF_NB_SNAPSHOTS);
    snapshotsOffset = b.getLong(OFF_SNAPSHOTS_OFFSET);
    if (version >= 3) {
      incompatible = b.getLong(OFF_INCOMPATIBLE_FEATURES);
      compatible = b.getLong(OFF_COMPATIBLE_FEATURES);
      autoclear = b.getLong(OFF_AUTOCLEAR_FEATURES);
      refcountOrder = b.getInt(OFF_REFCOUNT_ORDER);
      compressionType = fixed.length > OFF_COMPRESSION_TYPE ? fixed[OFF_COMPRESSION_TYPE] & 0xff : 0;
    } else {
      refcountOrder = V2_REFCOUNT_ORDER;
    }
  }

  private void validateFeatures() throws IOException {
    long unknown = incompatible & ~INCOMPAT_KNOWN;
    if (unknown != 0) {
      throw new UnsupportedImageException(
          file, "unknown incompatible feature bits " + bitList(unknown) + " are set (0x"
              + Long.toHexString(unknown) + "); refusing to open");
    }
    if ((incompatible & INCOMPAT_CORRUPT) != 0) {
      throw new ImageFormatException(
          file, "the image is marked corrupt (incompatible feature bit 1); repair it with qemu-img check -r all");
    }
    if (refcountOrder < 0 || refcountOrder > MAX_REFCOUNT_ORDER) {
      throw new ImageFormatException(
          file, "refcount_order (" + refcountOrder + ") must be between 0 and 6");
    }
    if ((incompatible & INCOMPAT_DATA_FILE) != 0) {
      throw new UnsupportedImageException(file, "external data files (incompatible bit 2) are not supported");
    }
    if (cryptMethod == CRYPT_AES) {
      throw new UnsupportedImageException(
          file, "legacy AES-CBC encryption (crypt_method 1) is not supported (QEMU no longer runs such"
              + " images either; convert it with qemu-img to encrypt.format=luks)");
    }
    if (cryptMethod != CRYPT_NONE && cryptMethod != CRYPT_LUKS) {
      throw new UnsupportedImageException(file, "unknown encryption method (crypt_method " + cryptMethod + ")");
    }
    boolean zstdBit = (incompatible & INCOMPAT_COMPRESSION) != 0;
    if (zstdBit ? compressionType != COMPRESSION_ZSTD : compressionType != COMPRESSION_ZLIB) {
      throw new UnsupportedImageException(
          file, "compression_type " + compressionType + " does not match the compression type bit"
              + " or is unknown (0 zlib and 1 zstd are known)");
    }
    if (extendedL2() && clusterBits < MIN_EXTENDED_L2_CLUSTER_BITS) {
      throw new ImageFormatException(
          file, "extended L2 entries need clusters of at least 16 KiB, cluster_bits is " + clusterBits);
    }
    if (size < 0) {
      throw new ImageFormatException(file, "virtual size " + size + " is negative");
    }
  }

  private void validateTables(long fileSize) throws IOException {
    long cs = clusterSize();
    // L1 table: sized for the virtual size and inside the file, before anything is allocated.
    if (l1Size < 0 || (long) l1Size * 8 > MAX_L1_BYTES) {
      throw new ImageFormatException(file, "L1 table size (" + (l1Size & 0xffffffffL) + " entries) is too large");
    }
    if (l1Size < l1EntriesNeeded()) {
      throw new ImageFormatException(
          file, "L1 table (" + l1Size + " entries) is too small for the virtual size " + size
              + " (needs " + l1EntriesNeeded() + ")");
    }
    if (l1Size > 0) {
      checkRange("L1 table", l1TableOffset, (long) l1Size * 8, fileSize);
    }
    if (refcountTableClusters <= 0 || refcountTableClusters * cs > MAX_REFCOUNT_TABLE_BYTES) {
      throw new ImageFormatException(
          file, "refcount table size (" + (refcountTableClusters & 0xffffffffL) + " clusters) is out of range");
    }
    checkRange("refcount table", refcountTableOffset, refcountTableClusters * cs, fileSize);
    if (nbSnapshots < 0 || nbSnapshots > MAX_SNAPSHOTS) {
      throw new ImageFormatException(
          file, "nb_snapshots (" + (nbSnapshots & 0xffffffffL) + ") is out of range (at most " + MAX_SNAPSHOTS + ")");
    }
    if (nbSnapshots != 0) {
      checkRange("snapshot table", snapshotsOffset, (long) nbSnapshots * SNAPSHOT_HEADER_BYTES, fileSize);
    }
    Region header = new Region("header", 0, cs);
    Region l1 = new Region("L1 table", l1TableOffset, (long) l1Size * 8);
    Region rt = new Region("refcount table", refcountTableOffset, refcountTableClusters * cs);
    header.refuseOverlap(file, l1);
    header.refuseOverlap(file, rt);
    l1.refuseOverlap(file, rt);
  }

  /**
   * LUKS encryption needs its header extension, inside the file and clear of the header, L1 and
   * refcount tables; the extension without LUKS is refused, as QEMU refuses it.
   */
  private void validateEncryption(long fileSize) throws IOException {
    if (cryptMethod != CRYPT_LUKS) {
      if (cryptoOffset != 0 || cryptoLength != 0) {
        throw new ImageFormatException(
            file, "has an encryption header extension, but crypt_method is " + cryptMethod + ", not LUKS (2)");
      }
      return;
    }
    if (cryptoOffset == 0) {
      throw new ImageFormatException(
          file, "is LUKS-encrypted (crypt_method 2) but has no encryption header extension");
    }
    if (cryptoLength <= 0) {
      throw new ImageFormatException(file, "encryption header length " + cryptoLength + " is not positive");
    }
    checkRange("encryption header", cryptoOffset, cryptoLength, fileSize);
    Region luks = cryptoRegion();
    luks.refuseOverlap(file, new Region("header", 0, clusterSize()));
    luks.refuseOverlap(file, new Region("L1 table", l1TableOffset, l1Size * 8L));
    luks.refuseOverlap(file, new Region("refcount table", refcountTableOffset, refcountTableClusters * clusterSize()));
  }

  /** The clusters of the encryption header (empty when there is none). */
  Region cryptoRegion() {
    return new Region("encryption header", cryptoOffset, ceilDiv(cryptoLength, clusterSize()) * clusterSize());
  }

  /**
   * Refuses a cluster range ({@code what}) that overlaps the header, L1 or refcount table, or the
   * encryption header.
   */
  void refuseOverlapWithTables(String what, long offset, long length) throws ImageFormatException {
    Region r = new Region(what, offset, length);
    for (Region t : tableRegions()) {
      r.refuseOverlap(file, t);
    }
  }

  /** Whether a cluster range overlaps what {@link #refuseOverlapWithTables} refuses. */
  boolean overlapsTables(long offset, long length) {
    for (Region t : tableRegions()) {
      if (t.overlaps(offset, length)) {
        return true;
      }
    }
    return false;
  }

  /** The header, L1 and refcount tables and the encryption header, where they are now. */
  private List<Region> tableRegions() {
    return List.of(
        new Region("header", 0, clusterSize()),
        new Region("L1 table", l1TableOffset, l1Size * 8L),
        new Region("refcount table", refcountTableOffset, refcountTableClusters * clusterSize()),
        cryptoRegion());
  }

  private void checkRange(String what, long offset, long length, long fileSize) throws IOException {
    if (offset <= 0 || (offset & (clusterSize() - 1)) != 0) {
      throw new ImageFormatException(
          file, what + " offset " + offset + " is not a non-zero multiple of the cluster size " + clusterSize());
    }
    if (offset > fileSize || length > fileSize - offset) {
      throw new ImageFormatException(
          file, what + " (offset " + offset + ", " + length + " bytes) lies past the end of the file ("
              + fileSize + " bytes); the file may be truncated");
    }
  }

  private void readExtensionsAndBackingName(Storage storage, long fileSize) throws IOException {
    long cs = clusterSize();
    ByteBuffer f = ByteBuffer.wrap(fixed);
    long backingOffset = f.getLong(OFF_BACKING_FILE_OFFSET);
    int backingSize = f.getInt(OFF_BACKING_FILE_SIZE);
    long areaEnd = Math.min(cs, fileSize);
    if (backingOffset != 0) {
      if (backingSize < 0 || backingSize > MAX_BACKING_FILE_NAME) {
        throw new ImageFormatException(
            file, "backing file name length (" + backingSize + ") exceeds 1023 bytes");
      }
      // Compared without adding: a crafted offset near 2^63 would wrap around to negative.
      if (backingOffset < headerLength() || backingOffset > cs - backingSize) {
        throw new ImageFormatException(
            file, "backing file name (offset " + backingOffset + ", " + backingSize
                + " bytes) lies outside the header cluster");
      }
      if (backingOffset + backingSize > fileSize) {
        throw new ImageFormatException(file, "truncated: the backing file name lies past the end of the file");
      }
      areaEnd = Math.min(areaEnd, backingOffset);
    }
    readExtensions(storage, (int) Math.max(0, areaEnd - headerLength()));
    if (backingOffset != 0) {
      ByteBuffer name = ByteBuffer.allocate(backingSize);
      storage.readFully(name, backingOffset);
      backingFile = new String(name.array(), StandardCharsets.UTF_8);
    }
  }

  /** Parses the extensions between the fixed header and {@code areaLength} bytes after it. */
  private void readExtensions(Storage storage, int areaLength) throws IOException {
    ByteBuffer area = ByteBuffer.allocate(areaLength);
    storage.readFully(area, headerLength());
    // Ends at the end marker, or where no extension fits (an area without a marker).
    for (int at = 0; at + 8 <= areaLength; ) {
      int type = area.getInt(at);
      int length = area.getInt(at + 4);
      if (type == EXT_END) {
        break;
      }
      if (length < 0 || length > areaLength - at - 8) {
        throw new ImageFormatException(
            file, "header extension 0x" + Integer.toHexString(type) + " (" + length
                + " bytes) runs past the end of the header area");
      }
      byte[] data = new byte[length];
      Buffers.get(area, at + 8, data, 0, length);
      if (type == EXT_BACKING_FORMAT) {
        backingFormat = new String(data, StandardCharsets.UTF_8);
      } else if (type == EXT_CRYPTO_HEADER) {
        if (length != CRYPTO_HEADER_EXT_LENGTH) {
          throw new ImageFormatException(
              file, "encryption header extension has " + length + " bytes, not " + CRYPTO_HEADER_EXT_LENGTH);
        }
        ByteBuffer ext = ByteBuffer.wrap(data);
        cryptoOffset = ext.getLong(0);
        cryptoLength = ext.getLong(8);
      } else {
        otherExtensions.add(new Extension(type, data));
      }
      at += 8 + (int) ceilDiv(length, 8) * 8;
    }
  }

  /** The first cluster's content (header, extensions, backing file name), for a rewrite. */
  ByteBuffer encode() throws IOException {
    long cs = clusterSize();
    ByteBuffer b = ByteBuffer.allocate((int) cs);
    b.put(fixed);
    b.putInt(OFF_MAGIC, MAGIC);
    b.putInt(OFF_VERSION, version);
    b.putInt(OFF_CLUSTER_BITS, clusterBits);
    b.putLong(OFF_SIZE, size);
    b.putInt(OFF_CRYPT_METHOD, cryptMethod);
    b.putInt(OFF_L1_SIZE, l1Size);
    b.putLong(OFF_L1_TABLE_OFFSET, l1TableOffset);
    b.putLong(OFF_REFCOUNT_TABLE_OFFSET, refcountTableOffset);
    b.putInt(OFF_REFCOUNT_TABLE_CLUSTERS, refcountTableClusters);
    b.putInt(OFF_NB_SNAPSHOTS, nbSnapshots);
    b.putLong(OFF_SNAPSHOTS_OFFSET, snapshotsOffset);
    if (version >= 3) {
      b.putLong(OFF_INCOMPATIBLE_FEATURES, incompatible);
      b.putLong(OFF_COMPATIBLE_FEATURES, compatible);
      b.putLong(OFF_AUTOCLEAR_FEATURES, autoclear);
      b.putInt(OFF_REFCOUNT_ORDER, refcountOrder);
      b.putInt(OFF_HEADER_LENGTH, fixed.length);
      if (fixed.length > OFF_COMPRESSION_TYPE) {
        b.put(OFF_COMPRESSION_TYPE, (byte) compressionType);
      }
    }
    Buffers.position(b, fixed.length);
    if (backingFormat != null) {
      putExtension(b, EXT_BACKING_FORMAT, backingFormat.getBytes(StandardCharsets.UTF_8));
    }
    if (cryptMethod == CRYPT_LUKS) {
      putExtension(b, EXT_CRYPTO_HEADER, ByteBuffer.allocate(CRYPTO_HEADER_EXT_LENGTH)
          .putLong(0, cryptoOffset).putLong(8, cryptoLength).array());
    }
    for (Extension e : otherExtensions) {
      putExtension(b, e.type(), e.data());
    }
    putExtension(b, EXT_END, new byte[0]);
    b.putLong(OFF_BACKING_FILE_OFFSET, 0);
    b.putInt(OFF_BACKING_FILE_SIZE, 0);
    if (backingFile != null) {
      byte[] name = backingFile.getBytes(StandardCharsets.UTF_8);
      if (name.length > MAX_BACKING_FILE_NAME || name.length > b.remaining()) {
        throw new ImageFormatException(
            file, "backing file name (" + name.length + " bytes) does not fit in the header cluster");
      }
      b.putLong(OFF_BACKING_FILE_OFFSET, b.position());
      b.putInt(OFF_BACKING_FILE_SIZE, name.length);
      b.put(name);
    }
    return Buffers.flip(b);
  }

  private void putExtension(ByteBuffer b, int type, byte[] data) throws IOException {
    int padded = (int) ceilDiv(data.length, 8) * 8;
    if (b.remaining() < 8 + padded) {
      throw new ImageFormatException(file, "header extensions do not fit in the header cluster");
    }
    b.putInt(type).putInt(data.length).put(data);
    Buffers.position(b, b.position() + padded - data.length);
  }

  static String bitList(long bits) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 64; i++) {
      if ((bits & (1L << i)) != 0) {
        s.append(s.length() == 0 ? "" : ", ").append(i);
      }
    }
    return s.toString();
  }

  /** {@code a / b} rounded up, for {@code a >= 0}, {@code b > 0}; no overflow near 2^63. */
  static long ceilDiv(long a, long b) {
    return a / b + (a % b == 0 ? 0 : 1);
  }

  /** A byte range of the file holding metadata, to refuse overlaps. */
  record Region(String what, long offset, long length) {
    boolean overlaps(long otherOffset, long otherLength) {
      return length > 0 && otherLength > 0 && offset < otherOffset + otherLength && otherOffset < offset + length;
    }

    void refuseOverlap(Path file, Region other) throws ImageFormatException {
      if (overlaps(other.offset, other.length)) {
        throw new ImageFormatException(
            file, what + " (bytes " + offset + "-" + (offset + length - 1) + ") overlaps the " + other.what
                + " (bytes " + other.offset + "-" + (other.offset + other.length - 1) + ")");
      }
    }
  }
}
