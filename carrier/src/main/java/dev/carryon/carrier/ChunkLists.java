package dev.carryon.carrier;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the manifest records of the images' chunk lists (manifest version 2 on): the chunk size and,
 * for every image of a kept chain, the SHA-256 of its {@link ChunkList}, stored as carrier file
 * {@link #fileOf chunks/<that SHA-256>}. A list is named by its own hash, so a new list never
 * replaces one a committed manifest names: a list is written, forced and moved into place before
 * the manifest naming it is committed, like every file of a generation.
 *
 * @param chunkSize bytes of each chunk
 * @param byImage SHA-256 of each image's list, by image name, sorted
 */
public record ChunkLists(int chunkSize, SortedMap<String, String> byImage) {
  /** Folder of the chunk lists. */
  static final String FOLDER = "chunks";

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public ChunkLists {
    Objects.requireNonNull(byImage, "byImage");
    for (Map.Entry<String, String> e : byImage.entrySet()) {
      if (!SHA256.matcher(e.getValue()).matches()) {
        throw new IllegalArgumentException(
            "list hash of " + e.getKey() + " (" + e.getValue() + ") must be 64 lowercase hex digits");
      }
    }
    byImage = Collections.unmodifiableSortedMap(new TreeMap<>(byImage));
  }

  /** The carrier file holding the list whose SHA-256 is {@code listSha256}. */
  static String fileOf(String listSha256) {
    return FOLDER + "/" + listSha256;
  }
}
