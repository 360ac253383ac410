/**
 * Partition tables in pure Java: the GUID Partition Table (UEFI 2.10 chapter 5: both headers,
 * both CRC-32s, the backup read when the primary is damaged) and the MBR with extended and
 * logical partitions. Constants live in {@code PartitionFormat}; sfdisk builds the test disks.
 *
 * <p>Start with {@link dev.carryon.sync.partition.PartitionTable#read}.
 */
package dev.carryon.sync.partition;
