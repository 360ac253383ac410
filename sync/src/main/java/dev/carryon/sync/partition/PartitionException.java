package dev.carryon.sync.partition;

import java.io.IOException;

/**
 * A partition table could not be read: damaged (bad CRC, a partition past the end of the disk,
 * partitions that overlap) or not what it claims. The message names the disk and the problem.
 */
public final class PartitionException extends IOException {
  PartitionException(String message) {
    super(message);
  }
}
