package dev.carryon.sync.lvm;

import java.io.IOException;

/**
 * LVM2 metadata could not be read, or a logical volume cannot be: a damaged label or metadata
 * area, metadata that contradicts itself (extents outside their physical volume), a physical
 * volume that is missing, or a volume type this reader does not support (thin, RAID, snapshot,
 * mirror), named in the message.
 */
public final class LvmException extends IOException {
  LvmException(String message) {
    super(message);
  }
}
