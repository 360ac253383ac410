/**
 * LVM2 in pure Java, read-only: physical volume labels, metadata areas (header and text CRCs,
 * the circular text buffer) and the metadata text, after LVM2's lib/label/label.h,
 * lib/format_text/layout.h and libdm's config syntax. Linear logical volumes are read through
 * their segments; thin, RAID, mirror, snapshot and striped volumes are refused by name. LVM's own
 * tools (pvcreate, vgcreate, lvcreate, vgcfgrestore with activation off) build the test disks and
 * report where each extent lies. Constants live in {@code LvmFormat}.
 *
 * <p>Start with {@link dev.carryon.sync.lvm.Lvm#scan}.
 */
package dev.carryon.sync.lvm;
