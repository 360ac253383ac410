package dev.carryon.sync.host;

import dev.carryon.carrier.ResetResult;

/**
 * What a sync did.
 *
 * @param generation the carrier generation the host image now holds
 * @param mode how clusters were chosen and checked
 * @param clustersCompared 64 KiB clusters read from both the carrier and the host image
 * @param clustersWritten clusters whose content differed and was written to the host image
 * @param bytesWritten guest bytes written to the host image
 * @param fileBytesWritten bytes written to the host image's file, data and metadata
 * @param cowBytes bytes of the carrier's images above its base (COW and layers) before any reset
 * @param reset what the reset did, or null when none ran
 */
public record SyncResult(
    long generation,
    SyncMode mode,
    long clustersCompared,
    long clustersWritten,
    long bytesWritten,
    long fileBytesWritten,
    long cowBytes,
    ResetResult reset) {}
