package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The images' chunk lists on the carrier ({@link ChunkList}, {@link ChunkLists}): made for every
 * manifest about to be committed, read and checked for readers.
 *
 * <p>Before each commit, {@link #attach} gives every image of a kept chain whose content changed
 * (a new layer, the COW after a merge, the base and COW after a reset) or that has no list yet
 * (init, a carrier from before lists) a new list: hashed from the image as the storage holds it,
 * checked against the image's SHA-256 the manifest records (computed in the same pass), written to
 * {@value CarrierFiles#TMP}, forced, moved to {@code chunks/} and the folder forced; only then is
 * the manifest naming it committed. Unchanged images keep their list. A list is named by its own
 * hash, so no committed list is ever overwritten; lists no committed manifest names are deleted
 * by recovery.
 */
final class ChunkListStore {
  private ChunkListStore() {}

  /**
   * {@code next}, about to replace {@code committed} (null for a new carrier), with a chunk list
   * for every image of its kept chains, the new ones written and forced on the carrier. A carrier
   * without lists gets them at the first commit with no merge or reset pending: a pending one is
   * changing images in place. {@code ahead} holds the lists {@link #writeAhead} made, by image.
   */
  static Manifest attach(
      CarrierStorage storage, Manifest committed, Manifest next, Map<String, String> ahead)
      throws IOException {
    boolean hadLists = committed == null || committed.chunks() != null;
    if (!hadLists && (next.pending() != null || next.reset() != null)) {
      return next;
    }
    ChunkLists known = next.chunks();
    TreeMap<String, String> lists = new TreeMap<>();
    boolean wrote = false;
    for (String image : next.keptImages()) {
      String list = known == null ? null : known.byImage().get(image);
      FileRecord record = next.files().get(image);
      if (ahead.containsKey(image)) {
        list = ahead.get(image);
      } else if (list == null
          || committed == null
          || !Objects.equals(committed.files().get(image), record)) {
        list = write(storage, image, record);
        wrote = true;
      }
      lists.put(image, list);
    }
    if (wrote) {
      // The manifest about to be committed names these lists: their names must be durable first.
      storage.forceFolder(ChunkLists.FOLDER);
    }
    return next.withChunks(new ChunkLists(ChunkList.CHUNK_SIZE, lists));
  }

  /**
   * Hashes carrier image {@code image} into a chunk list, in one pass with its whole SHA-256.
   * Refuses an image that is not {@code record}'s size.
   */
  static Hashed hash(CarrierStorage storage, String image, FileRecord record, int chunkSize)
      throws IOException {
    MessageDigest whole = Hex.newSha256();
    ChunkList list;
    try (InputStream in = storage.openRead(image, 0)) {
      list = ChunkList.compute(in, record.size(), chunkSize, whole);
      if (in.read() >= 0) {
        throw new CarrierException(
            CarrierFiles.where(storage, image) + ": longer than the " + record.size()
                + " bytes recorded");
      }
    } catch (CarrierException e) {
      throw e;
    } catch (IOException e) {
      throw new CarrierException(CarrierFiles.where(storage, image) + ": " + e.getMessage(), e);
    }
    return new Hashed(list, Hex.of(whole.digest()));
  }

  /** The largest chunk list read: one a Java array holds. */
  private static final int MAX_LIST_BYTES = Integer.MAX_VALUE - 64;

  /**
   * Chunk list {@code listSha256} as the carrier holds it; refuses one missing, not matching its
   * hash (so not the one the manifest names) or malformed.
   */
  static ChunkList read(CarrierStorage storage, String listSha256) throws IOException {
    String name = ChunkLists.fileOf(listSha256);
    String where = CarrierFiles.where(storage, name);
    // Read without asking its size first (over a link, a request less for each list a resume
    // checks): the buffer grows with what arrives, up to the bound.
    byte[] bytes;
    try (InputStream in = storage.openRead(name, 0)) {
      bytes = in.readNBytes(MAX_LIST_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new CarrierException(where + ": chunk list does not exist");
    }
    if (bytes.length > MAX_LIST_BYTES) {
      throw new CarrierException(
          where + ": chunk list of more than " + MAX_LIST_BYTES + " bytes is too large");
    }
    String actual = Hex.sha256(bytes);
    if (!actual.equals(listSha256)) {
      throw new CarrierException(
          where + ": chunk list does not match the manifest (SHA-256 " + actual + ")");
    }
    return ChunkList.parse(bytes, where);
  }

  /**
   * Writes the list of carrier image {@code image}, whose content is {@code record} and stays so
   * until a commit names it (perhaps under another name: a rename keeps the bytes), durably with
   * its folder: the commit then has a list less to make ({@link #attach}). Until then nothing names
   * it, and recovery deletes it if that commit never comes.
   *
   * @return the list's hash
   */
  static String writeAhead(CarrierStorage storage, String image, FileRecord record)
      throws IOException {
    String list = write(storage, image, record);
    storage.forceFolder(ChunkLists.FOLDER);
    return list;
  }

  /** Writes the list of {@code image} (whose committed content is {@code record}); its hash. */
  private static String write(CarrierStorage storage, String image, FileRecord record)
      throws IOException {
    Hashed h = hash(storage, image, record, ChunkList.CHUNK_SIZE);
    if (!h.sha256().equals(record.sha256())) {
      throw new CarrierException(
          CarrierFiles.where(storage, image) + ": SHA-256 " + h.sha256() + " found, "
              + record.sha256() + " recorded; refusing to record chunk hashes of other bytes");
    }
    byte[] bytes = h.list().encode();
    String sha = Hex.sha256(bytes);
    String tmp = CarrierFiles.TMP + "/" + sha;
    Durable.writeBytes(storage, bytes, tmp);
    storage.rename(tmp, ChunkLists.fileOf(sha));
    return sha;
  }

  /**
   * An image hashed in one pass.
   *
   * @param list its chunk list
   * @param sha256 SHA-256 of the whole image
   */
  record Hashed(ChunkList list, String sha256) {}
}
