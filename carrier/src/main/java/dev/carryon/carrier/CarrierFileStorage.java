package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.io.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * One carrier file as cow-merge sees an image's bytes: every read, write and force goes to the
 * carrier's {@link CarrierStorage} under the file's carrier name, so the image engine works the
 * same on a folder and on a carrier behind HTTP. Closing it closes nothing: the storage is the
 * carrier's.
 */
final class CarrierFileStorage implements Storage {
  /** The carrier's bytes. */
  private final CarrierStorage storage;

  /** Carrier name of the file, e.g. {@code layers/L3.qcow2}. */
  private final String name;

  /** Whether writes are allowed. */
  private final boolean writable;

  private CarrierFileStorage(CarrierStorage storage, String name, boolean writable) {
    this.storage = storage;
    this.name = name;
    this.writable = writable;
  }

  /** The existing carrier file {@code name}; refuses one that does not exist. */
  static CarrierFileStorage open(CarrierStorage storage, String name, boolean writable)
      throws IOException {
    if (storage.size(name).isEmpty()) {
      throw new NoSuchFileException(CarrierFiles.where(storage, name));
    }
    return new CarrierFileStorage(storage, name, writable);
  }

  /** Carrier file {@code name} made empty (created if absent), open for writing. */
  static CarrierFileStorage create(CarrierStorage storage, String name) throws IOException {
    storage.truncate(name, 0);
    return new CarrierFileStorage(storage, name, true);
  }

  @Override
  public long size() throws IOException {
    return storage
        .size(name)
        .orElseThrow(() -> new NoSuchFileException(CarrierFiles.where(storage, name)));
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return storage.read(name, position, dst);
  }

  @Override
  public void write(ByteBuffer src, long position) throws IOException {
    requireWritable();
    storage.write(name, position, src);
  }

  @Override
  public void truncate(long size) throws IOException {
    requireWritable();
    storage.truncate(name, size);
  }

  @Override
  public void force() throws IOException {
    requireWritable();
    storage.force(name);
  }

  @Override
  public boolean isWritable() {
    return writable;
  }

  @Override
  public Path path() {
    return Path.of(CarrierFiles.where(storage, name));
  }

  @Override
  public void close() {
    // The storage belongs to the carrier, which closes it.
  }

  private void requireWritable() throws IOException {
    if (!writable) {
      throw new IOException(path() + ": opened read-only");
    }
  }
}
