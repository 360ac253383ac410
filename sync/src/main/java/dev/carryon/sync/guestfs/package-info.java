/**
 * File systems carryon does not read in pure Java (XFS, btrfs ...), read through libguestfs'
 * guestfish with the volume served read-only over NBD (doc/proto.md of the NBD project: fixed
 * newstyle negotiation, simple replies) from this process. Start with
 * {@link dev.carryon.sync.guestfs.Guestfish#start}.
 */
package dev.carryon.sync.guestfs;
