package dev.carryon.cow;

import java.util.List;

/**
 * The outcome of a consistency check, with the fields of {@code qemu-img check --output=json}.
 *
 * @param filename the image as given
 * @param format "qcow2" or "raw"
 * @param checkErrors problems that stopped parts of the check
 * @param corruptions refcounts lower than the actual use, or wrong COPIED flags
 * @param leaks clusters whose refcount is higher than their use
 * @param corruptionsFixed corruptions repaired by this run
 * @param leaksFixed leaks repaired by this run
 * @param imageEndOffset byte just past the last cluster in use or counted
 * @param totalClusters guest clusters of the virtual disk
 * @param allocatedClusters guest clusters with a host cluster
 * @param fragmentedClusters allocated clusters not right after the previous one on the host
 * @param compressedClusters compressed guest clusters
 * @param messages one line per problem found
 */
public record CheckReport(
    String filename,
    String format,
    long checkErrors,
    long corruptions,
    long leaks,
    long corruptionsFixed,
    long leaksFixed,
    long imageEndOffset,
    long totalClusters,
    long allocatedClusters,
    long fragmentedClusters,
    long compressedClusters,
    List<String> messages) {

  /** Whether nothing is wrong. */
  public boolean isClean() {
    return checkErrors == 0 && corruptions == 0 && leaks == 0;
  }
}
