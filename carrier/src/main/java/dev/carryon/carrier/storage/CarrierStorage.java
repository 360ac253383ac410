package dev.carryon.carrier.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The bytes of one carrier, wherever they live: a local folder (a mounted USB drive) or a server
 * reached over HTTP (a phone's companion app, {@code carryon serve}). The carrier's commit
 * protocol, recovery and checks run on the host above this seam, the same for every storage; a
 * storage only keeps bytes and offers the few primitives that protocol needs.
 *
 * <p>Every {@code name} is a carrier-relative file name with {@code /} as separator, checked by
 * {@link StorageNames#check} (no {@code ..}, no absolute names, at most two levels), so no name can
 * reach outside the carrier. The manifest is not a file of this interface: it is read with {@link
 * #readManifest} and replaced only by {@link #replaceManifest}, the carrier's one commit point.
 *
 * <p>Durability: {@link #write}, {@link #truncate}, {@link #rename}, {@link #link} and {@link
 * #delete} make no promise about stable storage until {@link #force} (file contents and size) or
 * {@link #forceFolder} (names in a folder) returns; {@link #replaceManifest} is durable when it
 * returns. Writes require the {@link #lock} held by this storage object (a remote server refuses
 * writes without it); reads never do.
 */
public interface CarrierStorage extends Closeable {
  /** Where the carrier lives, as the user named it: a folder path or a URL; for messages. */
  String location();

  /**
   * The files directly in {@code folder} ({@code ""}: the carrier's top folder), sorted by name,
   * each with its size; folders are not listed. Empty when the folder does not exist.
   */
  List<StoredFile> list(String folder) throws IOException;

  /**
   * The files of each of {@code folders}, as {@link #list} gives them, by folder. A storage behind
   * a link lists them in one request where its server can (each listing is a round trip).
   */
  default Map<String, List<StoredFile>> lists(Collection<String> folders) throws IOException {
    Map<String, List<StoredFile>> listed = new TreeMap<>();
    for (String folder : folders) {
      listed.put(folder, list(folder));
    }
    return listed;
  }

  /** The size of file {@code name}, or empty when it does not exist. */
  OptionalLong size(String name) throws IOException;

  /**
   * Reads up to {@code dst.remaining()} bytes of {@code name} at {@code offset} into {@code dst};
   * returns the count read, or -1 when {@code offset} is at or past the end.
   */
  int read(String name, long offset, ByteBuffer dst) throws IOException;

  /** A stream of {@code name} from {@code offset} to its end, for long sequential reads. */
  InputStream openRead(String name, long offset) throws IOException;

  /** Writes all of {@code src} into {@code name} at {@code offset}, creating the file if absent. */
  void write(String name, long offset, ByteBuffer src) throws IOException;

  /**
   * A stream writing {@code name} from {@code offset} on, creating the file if absent, for long
   * sequential writes. Closing it forces nothing; a stream cut short leaves what arrived.
   */
  OutputStream openWrite(String name, long offset) throws IOException;

  /** Cuts {@code name} to {@code size} bytes, or grows it with zeros. */
  void truncate(String name, long size) throws IOException;

  /** Makes {@code name}'s contents and size durable. */
  void force(String name) throws IOException;

  /** Creates {@code folder} (and nothing above it) if absent. */
  void makeFolder(String folder) throws IOException;

  /** Makes the names created, renamed or deleted in {@code folder} durable. */
  void forceFolder(String folder) throws IOException;

  /** Renames {@code from} to {@code to} in one step, replacing {@code to} if it exists. */
  void rename(String from, String to) throws IOException;

  /**
   * Makes {@code to} a second name of the file {@code from}; false, with nothing made, when the
   * storage has no hard links (FAT, exFAT, most phones' shared storage).
   */
  boolean link(String from, String to) throws IOException;

  /** Deletes file {@code name} if it exists. */
  void delete(String name) throws IOException;

  /**
   * The size and SHA-256 of the first {@code length} bytes of {@code name} (-1: all of it), as the
   * storage reads them now. A server computes this where the bytes are, so checking a file it holds
   * does not move the file.
   */
  Digest hash(String name, long length) throws IOException;

  /**
   * Takes the carrier's write lock for {@code owner} (a few words naming host, process and
   * command, shown to anyone refused), held until the returned lock is closed. A storage whose
   * lock could outlive a dead holder (a server) gives it an expiry and renews it while held.
   *
   * @throws StorageLockedException naming the holder, when another holds it
   */
  StorageLock lock(String owner) throws IOException;

  /** The committed manifest's bytes and version, or empty when the carrier has no manifest. */
  Optional<VersionedManifest> readManifest() throws IOException;

  /**
   * Replaces the manifest with {@code bytes} if its version is still {@code expectedVersion} (null:
   * only if there is no manifest yet); durable when it returns. This is the carrier's one commit
   * point: before it the old manifest is committed, after it the new one.
   *
   * @return the new manifest's version
   * @throws ManifestChangedException when the manifest is no longer {@code expectedVersion}
   */
  String replaceManifest(byte[] bytes, String expectedVersion) throws IOException;

  /**
   * Work the storage can do where the bytes are (a merge of one carrier image into another), so
   * the data does not cross the link; empty when the caller must do it through the primitives.
   */
  default Optional<ServerSideImages> serverSide() {
    return Optional.empty();
  }

  /**
   * The local file holding {@code name}, when the storage is a local folder that QEMU and the image
   * engine can open in place; empty for remote storage, whose files are read through a host cache.
   */
  default Optional<Path> localFile(String name) {
    return Optional.empty();
  }
}
