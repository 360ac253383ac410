package dev.carryon.carrier;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps every other process off a carrier while one writes it (the lease keeps other sessions off
 * for a whole session; this keeps other commands off for one command). Released by the operating
 * system when the process dies, so a cut never leaves it held.
 */
final class CarrierLock implements AutoCloseable {
  /** The open lock file. */
  private final FileChannel channel;

  /** The lock held on it. */
  private final FileLock lock;

  private CarrierLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static CarrierLock take(Path folder) throws IOException {
    Path file = folder.resolve(CarrierFiles.LOCK);
    // No write point: the lock file holds no data and nothing depends on it surviving a cut.
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new CarrierException(
          folder + ": in use by another carryon command (" + CarrierFiles.LOCK + " is locked)");
    }
    return new CarrierLock(channel, lock);
  }

  @Override
  public void close() throws IOException {
    try (channel) {
      lock.release();
    }
  }
}
