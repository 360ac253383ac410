/**
 * A read-only reader of ext2, ext3 and ext4 filesystems in pure Java, for copying files out of a
 * guest disk without mounting it.
 *
 * <p>Follows the on-disk format of the Linux kernel's Documentation/filesystems/ext4 (superblock,
 * group descriptors, inodes, extent trees, classic block maps, directories, inline data) and
 * Documentation/filesystems/journalling plus include/linux/jbd2.h for the JBD2 journal, checked
 * against e2fsprogs 1.47 (mke2fs builds the test images; debugfs and e2fsck are the oracles).
 * All constants live in {@code Ext4Format}.
 *
 * <p>Start with {@link dev.carryon.sync.ext4.Ext4Filesystem#open}, over a
 * {@link dev.carryon.sync.ext4.BlockDevice} such as {@link dev.carryon.sync.ext4.RawFileDevice}.
 */
package dev.carryon.sync.ext4;
