package dev.carryon.carrier.storage;

import java.io.IOException;

/** The carrier's write lock, held from {@link CarrierStorage#lock} until closed. */
public interface StorageLock extends AutoCloseable {
  /** Releases the lock; releasing twice does nothing. */
  @Override
  void close() throws IOException;
}
