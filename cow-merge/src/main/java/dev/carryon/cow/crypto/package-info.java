/**
 * Disk encryption as QEMU's qcow2 does it with {@code encrypt.format=luks} (crypt_method 2): a
 * LUKS1 header (cryptsetup's on-disk format 1.2, as QEMU's crypto/block-luks.c reads and writes
 * it) in clusters of the image, and guest data encrypted with AES-XTS (IEEE 1619-2007) whose
 * tweak is the 512-byte host sector number (the {@code plain64} IV generator over the physical
 * offset, docs/interop/qcow2.txt "Data encryption").
 *
 * <p>{@code LuksHeader} reads and writes the header and its key slots, {@code Pbkdf2} and
 * {@code AfSplitter} derive and spread the slot keys, {@code XtsCipher} encrypts sectors;
 * {@link dev.carryon.cow.crypto.Luks} is the entry point the qcow2 code calls.
 */
package dev.carryon.cow.crypto;
