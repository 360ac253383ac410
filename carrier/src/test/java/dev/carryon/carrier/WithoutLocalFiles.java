package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.Digest;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.StoredFile;
import dev.carryon.carrier.storage.VersionedManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A storage that offers its carrier only through the primitives, as a remote one does: a folder
 * storage whose local files are hidden. The carrier code then takes every path a carrier behind
 * HTTP takes (images through {@link CarrierFileStorage}, files for QEMU from {@link LocalCopies}),
 * on real files that qemu-img can check.
 */
final class WithoutLocalFiles implements CarrierStorage {
  /** The folder storage that keeps the bytes. */
  private final CarrierStorage inner;

  /** Bytes of a 64 KiB cluster: reads of at least that many carry data or a whole table. */
  private static final int CLUSTER = 64 << 10;

  /** Per file, calls of {@link #read} asking for a cluster or more. */
  final Map<String, AtomicLong> bigReads = new ConcurrentHashMap<>();

  /** Per file, calls of {@link #openRead}. */
  final Map<String, AtomicLong> opened = new ConcurrentHashMap<>();

  /** Calls of {@link #list}: over a link, a request each. */
  final AtomicLong listings = new AtomicLong();

  /** Per file, calls of {@link #size}: over a link, a request each. */
  final Map<String, AtomicLong> sized = new ConcurrentHashMap<>();

  WithoutLocalFiles(CarrierStorage inner) {
    this.inner = inner;
  }

  @Override
  public String location() {
    return inner.location();
  }

  @Override
  public List<StoredFile> list(String folder) throws IOException {
    listings.incrementAndGet();
    return inner.list(folder);
  }

  @Override
  public OptionalLong size(String name) throws IOException {
    sized.computeIfAbsent(name, n -> new AtomicLong()).incrementAndGet();
    return inner.size(name);
  }

  @Override
  public int read(String name, long offset, ByteBuffer dst) throws IOException {
    bigReads.computeIfAbsent(name, n -> new AtomicLong()).addAndGet(dst.remaining() >= CLUSTER ? 1 : 0);
    return inner.read(name, offset, dst);
  }

  @Override
  public InputStream openRead(String name, long offset) throws IOException {
    opened.computeIfAbsent(name, n -> new AtomicLong()).incrementAndGet();
    return inner.openRead(name, offset);
  }

  @Override
  public void write(String name, long offset, ByteBuffer src) throws IOException {
    inner.write(name, offset, src);
  }

  @Override
  public OutputStream openWrite(String name, long offset) throws IOException {
    return inner.openWrite(name, offset);
  }

  @Override
  public void truncate(String name, long size) throws IOException {
    inner.truncate(name, size);
  }

  @Override
  public void force(String name) throws IOException {
    inner.force(name);
  }

  @Override
  public void makeFolder(String folder) throws IOException {
    inner.makeFolder(folder);
  }

  @Override
  public void forceFolder(String folder) throws IOException {
    inner.forceFolder(folder);
  }

  @Override
  public void rename(String from, String to) throws IOException {
    inner.rename(from, to);
  }

  @Override
  public boolean link(String from, String to) throws IOException {
    return inner.link(from, to);
  }

  @Override
  public void delete(String name) throws IOException {
    inner.delete(name);
  }

  @Override
  public Digest hash(String name, long length) throws IOException {
    return inner.hash(name, length);
  }

  @Override
  public StorageLock lock(String owner) throws IOException {
    return inner.lock(owner);
  }

  @Override
  public Optional<VersionedManifest> readManifest() throws IOException {
    return inner.readManifest();
  }

  @Override
  public String replaceManifest(byte[] bytes, String expectedVersion) throws IOException {
    return inner.replaceManifest(bytes, expectedVersion);
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}
