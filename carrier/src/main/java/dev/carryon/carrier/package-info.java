/**
 * The carrier: a VM's disk chain, hibernation states and the manifest that ties them into
 * generations, kept by a {@link dev.carryon.carrier.storage.CarrierStorage}: a folder (a mounted USB
 * drive, or any directory) or a server reached over HTTP ({@code carrier/PROTOCOL.md}).
 *
 * <h2>The storage seam</h2>
 *
 * All carrier logic (generations, the commit protocol below, recovery, checks) runs on the host,
 * here, the same for every storage; a storage only keeps bytes and offers a few primitives: list,
 * size, ranged read, write at an offset, force a file, force a folder's names, atomic rename, hard
 * link (where it has them), delete, a SHA-256 of a file where its bytes are, an exclusive write lock
 * naming its owner, and the manifest, read with its version and replaced only if it still has the
 * version the writer read. That conditional replace is the commit point, so two hosts' commits
 * cannot overwrite each other even if a lock expired under a stalled holder ({@link
 * dev.carryon.carrier.CarrierBusyException}). Every step below that must reach stable storage is a
 * storage force or folder force, and every change passes a {@link dev.carryon.cow.io.WritePoints}
 * point in the folder storage, which the crash tests cut at. The images are read and written by
 * cow-merge: a folder's in place, others through {@link dev.carryon.carrier.CarrierFileStorage};
 * merges run where the bytes are when the storage offers it ({@link
 * dev.carryon.carrier.storage.ServerSideImages}). Nothing outside this package sees a carrier
 * file's path: consumers get a disk chain ({@link dev.carryon.carrier.Carrier#openChain}), local
 * files for QEMU ({@link dev.carryon.carrier.Carrier#localFiles}, a folder's own files or a host
 * cache's copies), the state as a stream, and sizes from the manifest's records.
 *
 * <h2>Layout</h2>
 *
 * As a folder stores it (a server stores the same names):
 *
 * <pre>
 * CARRIER/
 *   carryon.json           the manifest (see {@link dev.carryon.carrier.ManifestCodec}):
 *                          replacing it is THE commit point
 *   carryon.lock           locked by the one command writing the carrier (it holds the holder's
 *                          words: command, pid, host)
 *   carryon.keys           an encrypted carrier's key slots ({@link
 *                          dev.carryon.carrier.keys.KeySlots}; written by init --encrypt and
 *                          carryon passphrase only, never by a commit: {@link
 *                          dev.carryon.carrier.CarrierKeys}); its manifest is then sealed ({@link
 *                          dev.carryon.carrier.ManifestSeal}) and its states sealed in chunks
 *   base.qcow2 | base.raw  the base image, copied at init
 *   vmlinuz, initrd.img    optional, copied at init (cold boot on any host)
 *   cow.qcow2              the carrier COW (backing: base.qcow2 or base.raw)
 *   layers/L&lt;g&gt;.qcow2      the layer written by the session that ended as generation g
 *                          (backing: the image below it in the chain, ../cow.qcow2 or
 *                          ../layers/L&lt;p&gt;.qcow2)
 *   states/S&lt;g&gt;.zst        hibernation state of generation g (zstd-compressed QEMU
 *                          migration stream; on an encrypted carrier, sealed in chunks: {@link
 *                          dev.carryon.carrier.keys.SealedChunks})
 *   states/S&lt;g&gt;.png        a small picture of the screen as generation g's state was saved
 *                          (VMs with a display adapter only)
 *   chunks/&lt;sha256&gt;       the chunk list of a kept image (SHA-256 of each 64 KiB chunk, see
 *                          {@link dev.carryon.carrier.ChunkList}), named by its own SHA-256, which
 *                          the manifest records per image
 *   tmp/                   files being written, not yet committed; emptied by recovery
 *                          (a folder also writes the next manifest here, tmp/carryon.json.new)
 * </pre>
 *
 * All names live in {@link dev.carryon.carrier.CarrierFiles}; a manifest can reference no other.
 *
 * <h2>Generations</h2>
 *
 * A generation is a pair: a disk chain (base, COW, the layers not yet merged, its own layer last)
 * and the state saved with exactly that disk content (or none: a cold boot). A session that resumed
 * generation P and ends makes generation current+1 with parent P and chain P's chain plus its
 * layer. The newest {@code keep} generations of that line are kept; older ones are retired, and
 * generations off the line (a session resumed an older checkpoint) are abandoned. Once the oldest
 * kept chain has a layer above the COW, that layer is in every kept chain, so it is merged into the
 * COW: no kept generation's content changes, and the layer is dropped.
 *
 * <h2>Headers stay true</h2>
 *
 * At every committed state, the qcow2 header of every image of a kept chain names the image below
 * it in that chain as its backing file, relative to its own folder (so the carrier can be mounted
 * anywhere), with the backing format recorded. Any reader may open a generation's top file and
 * follow backing names ({@code qemu-img info --backing-chain}, {@code qemu-img compare}, QEMU with
 * a plain {@code -drive file=}): it reads exactly the chain the manifest names. A layer copied in
 * from a host names its backing by the host's absolute path; the carrier's copy is rewritten to the
 * relative name before it is hashed and committed. When a layer is merged into the COW, the layer
 * above it is rebased (header only) to name the COW, as part of the same pending operation and
 * before the manifest that drops the merged layer is committed.
 *
 * <h2>Commit protocol of a session end</h2>
 *
 * <ol>
 *   <li>The new layer and state (and the screen's picture, if any) are written to {@code tmp/}
 *       and forced.
 *   <li>They are renamed into {@code layers/} and {@code states/}; both folders are forced.
 *   <li>The manifest naming the new generation current, with the lease released and the next merge
 *       recorded as pending, replaces the one read if it is still that version (a folder writes it
 *       to {@code tmp/carryon.json.new}, forces it, renames it over {@code carryon.json} and
 *       forces the carrier folder). This replace is the commit.
 *   <li>The pending merge runs and the COW is forced; then the layer directly above the merged one,
 *       if any, is rebased to name {@code ../cow.qcow2} and forced. Both are hashed, and a manifest
 *       without the merged layer (and with the next pending merge, if any) is committed the same
 *       way.
 *   <li>Layers and states no longer referenced are deleted.
 * </ol>
 *
 * Before every manifest commit, each kept image whose content the new manifest changes (a new
 * layer, the COW after a merge, base and COW after a reset) or that has no list yet gets a new
 * chunk list: hashed from the image (and checked against the SHA-256 the manifest records for it),
 * written to {@code tmp/}, forced, renamed into {@code chunks/}, and the folder forced; only then
 * is the manifest naming it committed ({@link dev.carryon.carrier.ChunkListStore}; a session end
 * makes its layer's list so while its state still goes up, from the layer's copy in {@code tmp/},
 * whose bytes the rename into {@code layers/} keeps). Lists are named
 * by their hash, so a committed one is never overwritten; while a merge or reset is pending, the
 * lists of the images it changes are as stale as their checksums, and are replaced with them.
 *
 * <p>A cut before step 3's replace leaves the old generation; after it, the new one. Opening for write
 * recovers: {@code tmp/} is emptied, a pending merge and its rebase are redone (both are
 * idempotent) and committed, a carrier from before chunk lists (manifest version 1) gets them in
 * one more commit, and unreferenced layers, states and chunk lists are deleted. While a merge is
 * pending, the checksums of the COW and of the rebased layer are not checked: they are in flux, and
 * every state they pass through reads the same (the merged layer, still present, covers every
 * cluster of the COW that changes; the rebase happens only once the COW holds all of them).
 *
 * <h2>Reset</h2>
 *
 * A reset (see {@link dev.carryon.carrier.PendingReset}) empties the carrier's COW once the host
 * holds its content: a manifest keeping only the current generation, with the reset recorded as
 * pending, is committed; the COW and the layers of the current chain are merged into the base in
 * place, lowest first, and the base is forced; an empty COW is written to {@code tmp/}, forced and
 * renamed over {@code cow.qcow2}; the state of the current generation g is hard-linked as {@code
 * states/S<g+1>.zst} (or, on a file system without hard links, copied through {@code tmp/}, checked
 * against its record and forced); then a manifest with generation g+1 only (parent g, chain {@code
 * [base, cow.qcow2]}, the new checksums of both, the same state content), the sync records of g
 * moved to g+1 and no pending reset is committed, and the layers and {@code S<g>} are deleted as
 * unreferenced. The disk reads the same at every step and the state is the same, so g+1 resumes
 * exactly where g would have: the next resume continues the session. A cold-boot g gives a
 * cold-boot g+1. A {@code S<g+1>} left by a cut run is made again by the redo.
 * The base is changed in place rather than copied: a copy would need the carrier to hold the disk
 * twice. Older generations are dropped when the reset is recorded: their chains would read the
 * newer clusters once the base holds them. While a reset is pending, the checksums of the base and
 * the COW are not checked. Opening for write redoes a pending reset (merging again writes what the
 * base already holds; replacing an empty COW by an empty COW changes nothing).
 *
 * <h2>Sync records</h2>
 *
 * The manifest's {@code syncs} list says, for each host image (a host's own copy of the disk,
 * known by host id and absolute path), which generation it was last synced to, with a SHA-256 of
 * a sample of its content (see {@link dev.carryon.carrier.SyncRecord}); the sync module writes
 * them, after the host image is written and flushed.
 */
package dev.carryon.carrier;
