package dev.carryon.carrier;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one host image (a host's own copy of the VM disk, outside the carrier) was last synced to.
 * A host image is known by the host it lives on and its absolute path there: the same path on
 * another host is another image. Written in the manifest's {@code "syncs"} list as {@code
 * {"hostId": ..., "image": ..., "generation": 7, "synced": "<instant>", "sample": "<64 hex>"}}.
 *
 * @param hostId id of the host the image lives on
 * @param image absolute path of the image on that host
 * @param generation the generation whose disk content the image held when the sync finished
 * @param synced when the sync finished
 * @param sample SHA-256 (hex) of the image's content at the sync's sample clusters when the sync
 *     finished: a later sync of the same image recomputes it to tell that the image was not
 *     changed or swapped since (the sync module decides which clusters are sampled)
 */
public record SyncRecord(
    String hostId, String image, long generation, Instant synced, String sample) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public SyncRecord {
    Objects.requireNonNull(synced, "synced");
    if (hostId == null || hostId.isBlank()) {
      throw new IllegalArgumentException("hostId (" + hostId + ") must not be blank");
    }
    if (image == null || !image.startsWith("/")) {
      throw new IllegalArgumentException("image (" + image + ") must be an absolute path");
    }
    if (generation <= 0) {
      throw new IllegalArgumentException("generation (" + generation + ") must be positive");
    }
    if (sample == null || !SHA256.matcher(sample).matches()) {
      throw new IllegalArgumentException("sample (" + sample + ") must be 64 lowercase hex digits");
    }
  }

  /** True when this record is about the image at {@code imagePath} on host {@code host}. */
  public boolean isFor(String host, String imagePath) {
    return hostId.equals(host) && image.equals(imagePath);
  }
}
