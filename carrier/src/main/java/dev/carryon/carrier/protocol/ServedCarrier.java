package dev.carryon.carrier.protocol;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.carrier.storage.ManifestChangedException;
import dev.carryon.carrier.storage.StorageNames;
import dev.carryon.carrier.storage.StoredFile;
import dev.carryon.carrier.storage.VersionedManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One served carrier: what each request of the protocol means, over the carrier's folder. Both
 * carrier servers (Jersey's {@code carryon serve} and the phone's own) parse HTTP and call these
 * methods with the request's raw parts (headers and query values as they came, the body as a
 * stream); every refusal is a {@link ProtocolException} whose code the server turns into the
 * answer. Names are checked by {@link StorageNames} before any file is touched; every changing
 * request must name the lock it holds.
 */
public final class ServedCarrier {
  /** Bytes copied per read of a file sent. */
  private static final int BUFFER = 256 << 10;

  /** What a lock id this server gives looks like. */
  private static final Pattern LOCK_ID = Pattern.compile("[0-9a-f]{32}");

  /** Its name at {@code /NAME/}, or null for the one carrier of a server at {@code /}. */
  private final String name;

  /** The prefix its paths live under: {@code /} or {@code /NAME/}. */
  private final String prefix;

  /** The carrier folder (which may not exist yet under a root of several carriers). */
  private final FolderStorage storage;

  /** The write lock. */
  private final LockTable locks;

  /** The server's name and version, for {@code info}. */
  private final String server;

  /** Notified after every file write, for the ordered writes waiting on one. */
  private final Object writes = new Object();

  /**
   * Where the writes whose bodies were cut would have ended ({@code NAME@OFFSET}), until a write
   * ends there: an ordered write waiting for that length is refused at once. Guarded by {@link
   * #writes}.
   */
  private final Set<String> cutEnds = new HashSet<>();

  /** How long an ordered write waits for the writes before it. */
  private final Duration orderedWait;

  ServedCarrier(String name, Path folder, String server, Clock clock) {
    this(name, folder, server, clock, Duration.ofSeconds(Protocol.ORDERED_WAIT_SECONDS));
  }

  /** As the one above, ordered writes waiting {@code orderedWait} (tests: shorter). */
  ServedCarrier(String name, Path folder, String server, Clock clock, Duration orderedWait) {
    this.orderedWait = orderedWait;
    this.name = name;
    this.prefix = name == null ? "/" : "/" + name + "/";
    this.storage = FolderStorage.of(folder);
    this.locks = new LockTable(storage, clock);
    this.server = server;
  }

  /** Its name at {@code /NAME/}, or null for the one carrier served at {@code /}. */
  public String name() {
    return name;
  }

  /** The prefix its paths live under: {@code /} or {@code /NAME/}. */
  public String prefix() {
    return prefix;
  }

  /** {@code GET info}: the answer's JSON. */
  public String info() throws IOException {
    ObjectNode o = WireJson.object();
    o.put("protocol", Protocol.VERSION);
    o.put("server", server);
    o.put("carrier", exists() && Files.isRegularFile(folder().resolve(FolderStorage.MANIFEST)));
    ArrayNode features = o.putArray("features");
    features
        .add(Protocol.FEATURE_HASH)
        .add(Protocol.FEATURE_MERGE)
        .add(Protocol.FEATURE_LINK)
        .add(Protocol.FEATURE_RECLAIM)
        .add(Protocol.FEATURE_LISTS)
        .add(Protocol.FEATURE_ORDERED);
    o.put("freeBytes", freeBytes());
    return WireJson.write(o);
  }

  /** {@code GET manifest}: its bytes and version. */
  public VersionedManifest manifest() throws IOException {
    Optional<VersionedManifest> m = exists() ? read(storage::readManifest) : Optional.empty();
    if (!m.isPresent()) {
      throw new ProtocolException(ErrorCode.NO_MANIFEST, describe() + " has no manifest");
    }
    return m.get();
  }

  /**
   * {@code PUT manifest}: replaces the manifest with the body if its version is still the one
   * {@code ifMatch} names, or creates it when {@code ifNoneMatch} is {@code *}; durable when it
   * returns. Answers the new version's JSON.
   */
  public String replaceManifest(
      String lockId, String ifMatch, String ifNoneMatch, InputStream body, long contentLength)
      throws IOException {
    String expected;
    if (ifMatch != null && ifNoneMatch == null) {
      expected = unquote(ifMatch);
    } else if (ifNoneMatch != null && ifMatch == null && ifNoneMatch.trim().equals("*")) {
      expected = null;
    } else {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST,
          "PUT manifest needs exactly one of If-Match: \"VERSION\" (replace that version) or"
              + " If-None-Match: * (create)");
    }
    try (LockTable.InFlight use = locks.use(lockId)) {
      byte[] bytes = Bodies.read("manifest", body, contentLength, Protocol.MAX_MANIFEST);
      String version;
      synchronized (this) {
        try {
          version = storage.replaceManifest(bytes, expected);
        } catch (ManifestChangedException e) {
          throw new ProtocolException(
              ErrorCode.MANIFEST_CHANGED,
              "the manifest is no longer version " + (expected == null ? "none" : expected)
                  + " (another command committed); nothing was written",
              e);
        } catch (IOException e) {
          throw failure(FolderStorage.MANIFEST, e);
        }
      }
      ObjectNode o = WireJson.object();
      o.put("version", version);
      return WireJson.write(o);
    }
  }

  /**
   * {@code GET files?dir=F} or {@code files?dirs=F1,F2}: the listing's JSON, of one folder or of
   * several in one answer (an empty name is the top folder), sorted by name.
   */
  public String list(String dir, String dirs) throws IOException {
    if (dir != null && dirs != null) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "give dir or dirs, not both");
    }
    List<String> folders = dirs == null ? List.of(dir == null ? "" : dir) : List.of(dirs.split(",", -1));
    if (folders.size() > Protocol.MAX_LISTED_FOLDERS) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST,
          "dirs names " + folders.size() + " folders; at most " + Protocol.MAX_LISTED_FOLDERS);
    }
    for (String folder : folders) {
      checkName(folder, true);
    }
    TreeMap<String, Long> listed = new TreeMap<>();
    if (exists()) {
      for (String folder : new TreeSet<>(folders)) {
        for (StoredFile f : read(() -> storage.list(folder))) {
          listed.put(f.name(), f.size());
        }
      }
    }
    ArrayNode files = WireJson.object().arrayNode();
    listed.forEach((name, size) -> files.addObject().put("name", name).put("size", size));
    ObjectNode o = WireJson.object();
    o.set("files", files);
    return WireJson.write(o);
  }

  /** {@code HEAD files/NAME}: the file's size. */
  public long size(String file) throws IOException {
    checkName(file, false);
    OptionalLong size = exists() ? read(() -> storage.size(file)) : OptionalLong.empty();
    if (!size.isPresent()) {
      throw notFound(file);
    }
    return size.getAsLong();
  }

  /** {@code GET files/NAME}: the part of the file the {@code Range} header (or null) asks for. */
  public ByteRange range(String file, String rangeHeader) throws IOException {
    return ByteRange.of(file, rangeHeader, size(file));
  }

  /** Sends {@code range} of {@code file} (from {@link #range}) to {@code out}. */
  public void send(String file, ByteRange range, OutputStream out) throws IOException {
    checkName(file, false);
    byte[] buffer = new byte[(int) Math.min(BUFFER, Math.max(range.length(), 1))];
    long left = range.length();
    try (InputStream in = read(() -> storage.openRead(file, range.offset()))) {
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          // The file shrank since its size was read: the answer is cut, and the client sees it.
          throw new IOException(file + ": ended " + left + " bytes early while it was sent");
        }
        out.write(buffer, 0, n);
        left -= n;
      }
    }
  }

  /**
   * {@code PUT files/NAME?offset=N&length=L}: writes the body, exactly {@code length} bytes, at
   * {@code offset}, creating the file (not its folder) if absent. The body is read whole first, so
   * a refused or cut body writes nothing.
   */
  public void write(
      String lockId,
      String file,
      String offsetParam,
      String lengthParam,
      String orderedParam,
      long contentLength,
      InputStream body)
      throws IOException {
    checkName(file, false);
    long offset = queryNumber("offset", offsetParam, Protocol.MAX_FILE_SIZE);
    long length = queryNumber("length", lengthParam, Protocol.MAX_WRITE);
    boolean ordered = orderedParam != null;
    if (ordered && !orderedParam.equals("1")) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST, file + ": ordered=" + orderedParam + " is not ordered=1");
    }
    if (offset + length > Protocol.MAX_FILE_SIZE) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST,
          file + ": a write up to byte " + (offset + length) + " is past the largest file size ("
              + Protocol.MAX_FILE_SIZE + ")");
    }
    if (contentLength >= 0 && contentLength != length) {
      throw new ProtocolException(
          ErrorCode.LENGTH_MISMATCH,
          file + ": the body's Content-Length (" + contentLength + ") is not the write's declared"
              + " length (" + length + "); nothing was written");
    }
    try (LockTable.InFlight use = locks.use(lockId)) {
      String end = cutEnd(file, offset + length);
      byte[] bytes;
      try {
        bytes = Bodies.read(file, body, length, Protocol.MAX_WRITE);
      } catch (IOException e) {
        // An ordered write waiting for this one's end waits no longer: it is not coming.
        synchronized (writes) {
          cutEnds.add(end);
          writes.notifyAll();
        }
        throw e;
      }
      if (ordered) {
        awaitLength(file, offset, orderedWait);
      }
      try {
        storage.write(file, offset, ByteBuffer.wrap(bytes));
      } catch (IOException e) {
        throw failure(file, e);
      } finally {
        synchronized (writes) {
          cutEnds.remove(end);
          writes.notifyAll();
        }
      }
    }
  }

  /** The key in {@link #cutEnds} of a write to {@code file} that would end at byte {@code end}. */
  private static String cutEnd(String file, long end) {
    return file + "@" + end;
  }

  /**
   * Returns once {@code file} (absent: 0 bytes) is exactly {@code offset} bytes long, which the
   * writes before an ordered one make it; refuses it when the file is longer already, or when
   * they have not come within {@code wait}.
   */
  private void awaitLength(String file, long offset, Duration wait) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    synchronized (writes) {
      while (true) {
        long size = storage.size(file).orElse(0);
        long left = deadline - System.nanoTime();
        if (size == offset) {
          return;
        }
        boolean cut = cutEnds.contains(cutEnd(file, offset));
        if (size > offset || left <= 0 || cut) {
          String why =
              size > offset ? "" : cut ? " and the write before it cut" : " after " + wait.toMillis() + " ms";
          throw new ProtocolException(
              ErrorCode.OUT_OF_ORDER,
              file + ": an ordered write at byte " + offset + " found the file " + size
                  + " bytes long" + why + "; nothing was written");
        }
        try {
          // Woken by every write; looked at again at least this often whatever wakes it.
          writes.wait(Math.max(1, Math.min(50, TimeUnit.NANOSECONDS.toMillis(left))));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException(file + ": interrupted waiting for the writes before it");
        }
      }
    }
  }

  /** {@code POST ops}: runs one operation; answers its JSON, or null for none ({@code 204}). */
  public String op(String lockId, InputStream body, long contentLength) throws IOException {
    byte[] bytes = Bodies.read("operation", body, contentLength, Protocol.MAX_SMALL_BODY);
    return Operations.run(this, lockId, WireJson.parseObject(bytes, "operation"));
  }

  /** {@code POST lock}: takes the write lock; answers the lock's JSON. */
  public String lock(InputStream body, long contentLength) throws IOException {
    byte[] bytes = Bodies.read("lock request", body, contentLength, Protocol.MAX_SMALL_BODY);
    ObjectNode request = WireJson.parseObject(bytes, "lock request");
    String owner = WireJson.text(request, "owner", "lock request");
    if (owner.length() > Protocol.MAX_OWNER) {
      owner = owner.substring(0, Protocol.MAX_OWNER);
    }
    int ttl =
        (int)
            WireJson.number(
                request,
                "ttlSeconds",
                Protocol.MIN_LOCK_SECONDS,
                Protocol.MAX_LOCK_SECONDS,
                "lock request");
    String reclaim = null;
    if (request.has("reclaim")) {
      reclaim = WireJson.text(request, "reclaim", "lock request");
      if (!LOCK_ID.matcher(reclaim).matches()) {
        throw new ProtocolException(
            ErrorCode.BAD_REQUEST, "lock request: \"reclaim\" must be a lock id (32 hex digits)");
      }
    }
    if (name != null && !exists()) {
      // A carrier being created under a root of several: its folder holds the lock file.
      try {
        Files.createDirectories(folder());
      } catch (IOException e) {
        throw failure(name, e);
      }
    }
    return grant(locks.acquire(owner, ttl, reclaim));
  }

  /** {@code PUT lock/ID}: renews the lock; answers the lock's JSON. */
  public String renew(String id) throws IOException {
    return grant(locks.renew(id));
  }

  /** {@code DELETE lock/ID}: releases the lock if held. */
  public void release(String id) throws IOException {
    locks.release(id);
  }

  /** The browser page. */
  public String page() throws IOException {
    VersionedManifest m = null;
    if (exists()) {
      m = read(storage::readManifest).orElse(null);
    }
    return CarrierPage.render(
        name == null ? folder().getFileName().toString() : name,
        m == null ? null : m.bytes(),
        locks.holder(),
        freeBytes());
  }

  /** Releases an expired lock (called now and then by the root). */
  void expireLocks() throws IOException {
    locks.expireIfDue();
  }

  /** Releases every lock (the server stops). */
  void close() throws IOException {
    locks.close();
  }

  LockTable.InFlight useLock(String lockId) throws IOException {
    return locks.use(lockId);
  }

  FolderStorage storage() {
    return storage;
  }

  /** Runs a storage step, mapping its failure to the protocol's error naming {@code file}. */
  <T> T apply(String file, StorageStep<T> step) throws IOException {
    try {
      return step.run();
    } catch (IOException e) {
      throw failure(file, e);
    }
  }

  /** A step on the storage. */
  interface StorageStep<T> {
    T run() throws IOException;
  }

  static void checkName(String file, boolean folder) throws ProtocolException {
    String problem = StorageNames.problem(file, folder);
    if (problem != null) {
      throw new ProtocolException(ErrorCode.BAD_NAME, problem);
    }
  }

  /**
   * The protocol error for a storage failure on {@code file}: not-found, no-space, or io-error,
   * naming the carrier file rather than the server's path.
   */
  static ProtocolException failure(String file, IOException e) {
    if (e instanceof ProtocolException) {
      return (ProtocolException) e;
    }
    if (e instanceof NoSuchFileException) {
      return new ProtocolException(
          ErrorCode.NOT_FOUND, file + ": no such file (or its folder does not exist)", e);
    }
    String reason =
        e instanceof FileSystemException && ((FileSystemException) e).getReason() != null
            ? ((FileSystemException) e).getReason()
            : String.valueOf(e.getMessage());
    if (reason.contains("No space left") || reason.contains("ENOSPC")) {
      return new ProtocolException(
          ErrorCode.NO_SPACE, file + ": the server's storage is full (" + reason + ")", e);
    }
    return new ProtocolException(ErrorCode.IO_ERROR, file + ": " + reason, e);
  }

  private <T> T read(StorageStep<T> step) throws IOException {
    return apply(describe(), step);
  }

  private String grant(LockTable.Grant g) {
    ObjectNode o = WireJson.object();
    o.put("lock", g.id());
    o.put("expires", g.expires().toString());
    return WireJson.write(o);
  }

  private boolean exists() {
    return Files.isDirectory(folder());
  }

  private Path folder() {
    return storage.folder();
  }

  private long freeBytes() throws IOException {
    Path p = folder();
    while (!Files.exists(p) && p.getParent() != null) {
      p = p.getParent();
    }
    return Files.getFileStore(p).getUsableSpace();
  }

  private String describe() {
    return name == null ? "the carrier" : "carrier " + name;
  }

  private ProtocolException notFound(String file) {
    return new ProtocolException(
        ErrorCode.NOT_FOUND,
        exists() ? file + ": no such file" : describe() + " does not exist (" + file + ")");
  }

  private static long queryNumber(String param, String value, long max) throws ProtocolException {
    if (value == null) {
      throw new ProtocolException(ErrorCode.BAD_REQUEST, "query parameter " + param + " is missing");
    }
    if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(Character::isDigit)) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST, "query parameter " + param + " ('" + value + "') is not a number");
    }
    long v = Long.parseLong(value);
    if (v > max) {
      throw new ProtocolException(
          param.equals("length") ? ErrorCode.TOO_LARGE : ErrorCode.BAD_REQUEST,
          "query parameter " + param + " (" + v + ") is over the limit of " + max);
    }
    return v;
  }

  private static String unquote(String etag) {
    String t = etag.trim();
    if (t.startsWith("W/")) {
      t = t.substring(2);
    }
    if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
      t = t.substring(1, t.length() - 1);
    }
    return t;
  }
}
