package dev.carryon.cow.qcow2;

/** What a guest range maps to in one qcow2 layer. */
enum ClusterType {
  /** Not defined here: read from the backing file (or zeros). */
  UNALLOCATED,
  /** Reads as zeros (zero flag, or zero subclusters). */
  ZERO,
  /** Stored uncompressed at a host offset. */
  DATA,
  /** Stored compressed; always one whole cluster. */
  COMPRESSED
}
