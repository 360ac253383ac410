package dev.carryon.sync.partition;

/**
 * One partition of a disk.
 *
 * @param number the number Linux gives it: GPT entry index + 1; MBR primaries 1 to 4, logical
 *     partitions from 5 in chain order
 * @param start byte offset of its first sector on the disk
 * @param size its length in bytes
 * @param type the type as the table records it: a GPT type GUID, or an MBR type like "0x83"
 * @param typeName the type's usual name ("Linux filesystem", "Linux LVM"), or {@link #type} when
 *     it has none
 * @param label the GPT partition name, empty for none and for MBR partitions
 * @param uuid the GPT unique partition GUID, or for MBR what blkid calls its PARTUUID
 *     (disk signature "-" number)
 */
public record Partition(
    int number, long start, long size, String type, String typeName, String label, String uuid) {

  public Partition {
    if (number < 1) {
      throw new IllegalArgumentException("number (" + number + ") must be positive");
    }
    if (start < 0 || size < 0) {
      throw new IllegalArgumentException("start (" + start + ") and size (" + size
          + ") must not be negative");
    }
  }

  /** Byte offset just past its last sector. */
  public long end() {
    return start + size;
  }

  /** "partition 2 'root' (Linux filesystem)": how messages name it. */
  public String describe() {
    return "partition " + number + (label.isEmpty() ? "" : " '" + label + "'") + " (" + typeName
        + ")";
  }
}
