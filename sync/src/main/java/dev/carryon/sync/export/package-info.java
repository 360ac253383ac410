/**
 * Copies guest files out of a carrier's disk into a host folder, a POSIX (pax) tar archive, or a
 * mirror kept current run after run. {@link dev.carryon.sync.export.CarrierDisk} opens the
 * carrier's disk; {@link dev.carryon.sync.export.GuestSource} finds the file system on it (through
 * the partition table and LVM) and a reader for it; {@link dev.carryon.sync.export.Exporter} and
 * {@link dev.carryon.sync.export.Mirror} write.
 */
package dev.carryon.sync.export;
