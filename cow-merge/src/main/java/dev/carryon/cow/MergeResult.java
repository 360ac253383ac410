package dev.carryon.cow;

/**
 * What a merge did.
 *
 * @param bytesCopied guest data bytes copied from the top layer
 * @param bytesZeroed guest bytes the top layer marks as zeros, made zero in the target
 * @param extents allocated runs of the top layer that were merged
 * @param targetBytesWritten bytes written to the target file (data and metadata)
 */
public record MergeResult(long bytesCopied, long bytesZeroed, long extents, long targetBytesWritten) {}
