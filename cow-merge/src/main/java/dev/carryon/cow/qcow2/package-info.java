/**
 * The qcow2 format, versions 2 and 3, as specified by QEMU's docs/interop/qcow2.txt (QEMU 7.2):
 * header and extensions ({@code Header}), the L1/L2 mapping ({@code L2Tables}), refcounts and
 * allocation ({@code Refcounts}), compressed clusters ({@code Compressed}), guest data as stored,
 * plain or LUKS-encrypted ({@code HostData}, over {@link dev.carryon.cow.crypto}), reading and
 * writing ({@code Qcow2Image}), consistency checks ({@code Qcow2Checker}) and creation ({@code
 * Qcow2}).
 */
package dev.carryon.cow.qcow2;
