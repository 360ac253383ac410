/**
 * The block server: QEMU reads a carrier's images through carryon, chunk by chunk, each chunk
 * checked against the image's chunk list (whose hash the manifest records) on its first read and
 * kept on this host ({@link dev.carryon.launcher.blocks.ChunkStore}, chunk-addressed). carryon's
 * NBD server ({@code dev.carryon.sync.guestfs.NbdServer}) on a UNIX socket exports each image of
 * the chain ({@link dev.carryon.launcher.blocks.VerifiedImage}) read-only under its carrier name;
 * QEMU's {@code nbd} driver sits under the chain's qcow2 (or raw) nodes. A chunk that fails its
 * hash is an I/O error on that read, never the bytes, and a message naming the carrier file and
 * offset; nothing is written to the carrier.
 */
package dev.carryon.launcher.blocks;
