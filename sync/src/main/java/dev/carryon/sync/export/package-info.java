/**
 * Copies guest files out of an {@link dev.carryon.sync.ext4.Ext4Filesystem} into a host folder or
 * a POSIX (pax) tar archive; see {@link dev.carryon.sync.export.Exporter}.
 */
package dev.carryon.sync.export;
