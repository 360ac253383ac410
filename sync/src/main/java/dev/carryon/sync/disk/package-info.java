/**
 * What a guest disk holds and which of its volumes to read: the partition table (package
 * {@code partition}), the LVM2 volumes on it (package {@code lvm}), the file system on each
 * volume told by its superblock, and the choice of the volume that holds a guest path, through
 * the root file system's /etc/fstab when there are several.
 *
 * <p>Start with {@link dev.carryon.sync.disk.DiskLayout#scan} and
 * {@link dev.carryon.sync.disk.VolumeChooser#choose}.
 */
package dev.carryon.sync.disk;
