package dev.carryon.carrier.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.carrier.protocol.WireJson;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.Digest;
import dev.carryon.carrier.storage.ManifestChangedException;
import dev.carryon.carrier.storage.ServerSideImages;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.StorageLockedException;
import dev.carryon.carrier.storage.StorageNames;
import dev.carryon.carrier.storage.StoredFile;
import dev.carryon.carrier.storage.VersionedManifest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A carrier behind HTTP, spoken to with the carrier protocol ({@code carrier/PROTOCOL.md}): the
 * client side of {@code carryon serve} and of the phone. Every error answer becomes an exception
 * carrying the server's message and the URL; the ones the seam defines ({@link
 * StorageLockedException}, {@link ManifestChangedException}, {@link NoSuchFileException}) where
 * they fit, else a {@link ProtocolException} with the protocol's code. Names are checked here
 * before they are sent, as every storage checks them. Long writes go as pieces of at most {@link
 * Protocol#MAX_WRITE} bytes, so a cut upload leaves every piece that arrived; the write lock is
 * renewed every third of its time while held.
 */
public final class HttpStorage implements CarrierStorage {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Small requests (everything but file bodies) must be answered within this. */
  private static final Duration SMALL_TIMEOUT = Duration.ofSeconds(60);

  /** What a lock id or manifest version from the server must look like. */
  private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,128}");

  /** The carrier's URL, ending in {@code /}. */
  private final URI base;

  /** The bearer token. */
  private final String token;

  /** Shared by every request. */
  private final HttpClient http;

  /** The optional operations the server offers. */
  private final Set<String> features;
  /** Whether the server's info said it held a carrier at this URL when opened; null: it did not say. */
  private final Boolean carrierWhenOpened;

  /** Renews the lock while it is held. */
  private final ScheduledExecutorService renewer;

  /** The id of the write lock held, or null. */
  private volatile String lockId;

  /** Seconds the write lock is asked for; it is renewed every third of that. */
  private final int lockSeconds;

  /** Where this host keeps the id of the lock held, or null. */
  private volatile LockMemory memory;

  /** Folder listings kept while the write lock is held. */
  private final HeldListings held = new HeldListings();

  private HttpStorage(
      URI base, String token, HttpClient http, Set<String> features, Boolean carrierWhenOpened,
      int lockSeconds) {
    this.base = base;
    this.token = token;
    this.http = http;
    this.features = features;
    this.carrierWhenOpened = carrierWhenOpened;
    this.lockSeconds = lockSeconds;
    this.renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "carryon lock renewal");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * The carrier at {@code url} ({@code http://ADDR:PORT/} or {@code .../NAME/}), spoken to with
   * {@code token}. Asks the server what it is first, so a wrong token, a server that is not a
   * carrier server or one of another protocol version fails here, clearly.
   */
  public static HttpStorage open(URI url, String token) throws IOException {
    return open(url, token, Protocol.DEFAULT_LOCK_SECONDS);
  }

  /** As {@link #open(URI, String)}, asking for the write lock for {@code lockSeconds} at a time. */
  static HttpStorage open(URI url, String token, int lockSeconds) throws IOException {
    String s = url.toString();
    URI base = URI.create(s.endsWith("/") ? s : s + "/");
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
      throw new IllegalArgumentException("carrier URL " + url + " is not http:// or https://");
    }
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER);
    if ("http".equals(base.getScheme())) {
      builder.sslContext(NoTls.context()).sslParameters(NoTls.parameters());
    }
    HttpClient http = builder.build();
    HttpStorage probe = new HttpStorage(base, token, http, new HashSet<>(), null, lockSeconds);
    JsonNode info;
    try {
      info = probe.json(probe.small(probe.request(Protocol.INFO).GET(), Protocol.INFO), Protocol.INFO);
    } catch (IOException | RuntimeException e) {
      probe.renewer.shutdownNow();
      throw e;
    }
    probe.renewer.shutdownNow();
    if (info == null || info.path("protocol").asInt() != Protocol.VERSION) {
      throw new ProtocolException(
          ErrorCode.UNSUPPORTED_PROTOCOL,
          base + " does not speak carrier protocol version " + Protocol.VERSION + " (it says "
              + (info == null ? "nothing" : info.path("protocol")) + ")");
    }
    Set<String> features = new HashSet<>();
    for (JsonNode f : info.path("features")) {
      features.add(f.asText());
    }
    JsonNode carrier = info.path("carrier");
    return new HttpStorage(
        base, token, http, features, carrier.isBoolean() ? carrier.asBoolean() : null, lockSeconds);
  }

  @Override
  public String location() {
    return base.toString();
  }

  /**
   * True when the server held a carrier (a manifest) at this URL when this storage was opened: as
   * its info said then (a request fewer before the carrier is read), or, from a server whose info
   * does not say, as its manifest says now.
   */
  public boolean hadCarrierWhenOpened() throws IOException {
    return carrierWhenOpened != null ? carrierWhenOpened : readManifest().isPresent();
  }

  @Override
  public List<StoredFile> list(String folder) throws IOException {
    StorageNames.checkFolder(folder);
    List<StoredFile> kept = held.get(folder);
    if (kept != null) {
      return kept;
    }
    Long stamp = held.stamp(folder);
    String path = Protocol.FILES + "?dir=" + folder;
    List<StoredFile> files = new ArrayList<>();
    for (JsonNode f : json(small(request(path).GET(), path), path).path("files")) {
      files.add(listed(f, path));
    }
    held.keep(folder, stamp, files);
    return files;
  }

  /** One request for the folders not held, where the server lists several at once. */
  @Override
  public Map<String, List<StoredFile>> lists(Collection<String> folders) throws IOException {
    Map<String, List<StoredFile>> listed = new TreeMap<>();
    Map<String, Long> stamps = new TreeMap<>();
    for (String folder : folders) {
      StorageNames.checkFolder(folder);
      List<StoredFile> kept = held.get(folder);
      if (kept != null) {
        listed.put(folder, kept);
      } else {
        stamps.put(folder, held.stamp(folder));
      }
    }
    if (stamps.size() < 2
        || stamps.size() > Protocol.MAX_LISTED_FOLDERS
        || !features.contains(Protocol.FEATURE_LISTS)) {
      listed.putAll(CarrierStorage.super.lists(stamps.keySet()));
      return listed;
    }
    Map<String, List<StoredFile>> found = new TreeMap<>();
    stamps.keySet().forEach(folder -> found.put(folder, new ArrayList<>()));
    String path = Protocol.FILES + "?dirs=" + String.join(",", stamps.keySet());
    for (JsonNode f : json(small(request(path).GET(), path), path).path("files")) {
      StoredFile file = listed(f, path);
      int slash = file.name().indexOf('/');
      List<StoredFile> into = found.get(slash < 0 ? "" : file.name().substring(0, slash));
      if (into == null) {
        throw badAnswer(path, "lists '" + file.name() + "', which is in no folder asked for");
      }
      into.add(file);
    }
    for (Map.Entry<String, List<StoredFile>> e : found.entrySet()) {
      held.keep(e.getKey(), stamps.get(e.getKey()), e.getValue());
      listed.put(e.getKey(), e.getValue());
    }
    return listed;
  }

  /** A file of a listing: names and sizes from the server reach paths and allocations. */
  private StoredFile listed(JsonNode f, String path) throws IOException {
    String name = f.path("name").asText();
    long size = f.path("size").asLong(-1);
    if (StorageNames.problem(name, false) != null || size < 0 || size > Protocol.MAX_FILE_SIZE) {
      throw badAnswer(path, "lists a file '" + name + "' of size " + f.path("size") + " that cannot be a carrier's");
    }
    return new StoredFile(name, size);
  }

  @Override
  public OptionalLong size(String name) throws IOException {
    String path = file(name);
    OptionalLong listed = held.size(name);
    if (listed != null) {
      return listed;
    }
    HttpResponse<byte[]> r =
        send(request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()), path);
    if (r.statusCode() == 404) {
      return OptionalLong.empty();
    }
    check(r, path);
    long size = r.headers().firstValueAsLong("Content-Length").orElse(0);
    if (size < 0 || size > Protocol.MAX_FILE_SIZE) {
      throw badAnswer(path, "gives a size of " + size + " bytes");
    }
    return OptionalLong.of(size);
  }

  @Override
  public int read(String name, long offset, ByteBuffer dst) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    String path = file(name);
    HttpResponse<byte[]> r =
        send(
            request(path)
                .header("Range", "bytes=" + offset + "-" + (offset + dst.remaining() - 1))
                .GET(),
            path);
    if (r.statusCode() == 416) {
      return -1;
    }
    check(r, path);
    byte[] body = r.body();
    int n = Math.min(body.length, dst.remaining());
    dst.put(body, 0, n);
    return n;
  }

  @Override
  public InputStream openRead(String name, long offset) throws IOException {
    String path = file(name);
    HttpRequest req =
        request(path).header("Range", "bytes=" + offset + "-").GET().build();
    HttpResponse<InputStream> r;
    try {
      long sent = System.nanoTime();
      r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
      logged(req, r.statusCode(), sent, path);
    } catch (IllegalArgumentException e) {
      throw badAnswer(path, "is malformed (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading " + url(path));
    } catch (IOException e) {
      throw unreachable(path, e);
    }
    if (r.statusCode() == 200 || r.statusCode() == 206) {
      return named(r.body(), path);
    }
    byte[] body;
    try (InputStream in = r.body()) {
      body = in.readNBytes(Protocol.MAX_SMALL_BODY);
    }
    if (r.statusCode() == 416) {
      return new ByteArrayInputStream(new byte[0]);
    }
    throw error(r.statusCode(), body, path);
  }

  @Override
  public void write(String name, long offset, ByteBuffer src) throws IOException {
    String path = file(name);
    long at = offset;
    while (src.hasRemaining()) {
      int n = Math.min(src.remaining(), Protocol.MAX_WRITE);
      byte[] piece = new byte[n];
      src.get(piece);
      putPiece(name, path, at, piece, n);
      at += n;
    }
  }

  @Override
  public OutputStream openWrite(String name, long offset) throws IOException {
    return new PieceWriter(name, file(name), offset);
  }

  /**
   * Writes a file as a series of pieces of at most {@link Protocol#MAX_WRITE} bytes, one request
   * each, landing in order, so a cut series leaves a prefix of the file (which a rerun continues).
   * Where the server offers {@link Protocol#FEATURE_ORDERED ordered writes}, the next piece goes
   * while the one before is still on its way, as an ordered write the server holds until that one
   * has landed: the link does not idle while a piece is answered. Elsewhere a piece goes only once
   * the one before was answered. While pieces are on their way the caller fills the next (reading
   * and hashing its source); and a piece goes as soon as nothing is on its way and {@link
   * #EAGER_PIECE} bytes wait, not only when full, so a source that is still being written (the RAM
   * state as QEMU saves it) starts the link at its first bytes. A source faster than the link
   * still goes in full pieces.
   */
  private final class PieceWriter extends OutputStream {
    /**
     * Bytes that go as a piece of their own when nothing is on its way: a request costs some
     * milliseconds, which this many bytes at 30 MB/s outweigh.
     */
    private static final int EAGER_PIECE = 256 << 10;

    /** A piece: its bytes, where they go and how many. */
    private record Piece(byte[] bytes, long at, int length) {}

    /** A piece on its way, and its answer. */
    private record Sending(Piece piece, Future<Void> answer) {}

    /** The file's carrier name. */
    private final String name;
    /** The file's request path. */
    private final String path;
    /** Pieces on their way at once: two with ordered writes, else one. */
    private final int inFlight;
    /** Sends the pieces, one thread per piece on its way. */
    private final ExecutorService sender;
    /** The pieces on their way, oldest first. */
    private final ArrayDeque<Sending> sending = new ArrayDeque<>();
    /** Buffers free to fill. */
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    /** Bytes not sent yet. */
    private byte[] buffer = new byte[Protocol.MAX_WRITE];
    /** How many of {@link #buffer} hold data. */
    private int filled;
    /** Where the buffer's first byte goes. */
    private long at;
    /**
     * The first failure of a piece; no later piece is sent after it (it could leave a hole), the
     * failed ones are sent once more, in order, on {@link #close} (a connection that was dropped
     * may be back).
     */
    private IOException failed;
    /** The pieces that failed, in order. */
    private final List<Piece> unsent = new ArrayList<>();

    PieceWriter(String name, String path, long offset) {
      this.name = name;
      this.path = path;
      this.at = offset;
      this.inFlight = features.contains(Protocol.FEATURE_ORDERED) ? 2 : 1;
      this.sender =
          Executors.newFixedThreadPool(
              inFlight,
              r -> {
                Thread t = new Thread(r, "carryon upload " + path);
                t.setDaemon(true);
                return t;
              });
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, buffer.length - filled);
        System.arraycopy(bytes, off, buffer, filled, n);
        filled += n;
        off += n;
        len -= n;
        if (filled == buffer.length || (filled >= EAGER_PIECE && linkFree())) {
          sendBuffer();
        }
      }
    }

    /** True when no piece is on its way (the last one was answered). */
    private boolean linkFree() {
      Sending last = sending.peekLast();
      return last == null || last.answer().isDone();
    }

    /**
     * Starts sending what the buffer holds, once fewer than {@link #inFlight} pieces are on their
     * way: ordered behind the one before it when that one is still on its way.
     */
    private void sendBuffer() throws IOException {
      while (sending.size() >= inFlight) {
        awaitOldest();
      }
      if (failed != null) {
        throw new IOException(failed.getMessage(), failed);
      }
      Piece piece = new Piece(buffer, at, filled);
      Sending before = sending.peekLast();
      Future<Void> answer =
          sender.submit(
              () -> {
                putAfter(piece, before == null ? null : before.answer());
                return null;
              });
      sending.addLast(new Sending(piece, answer));
      at += filled;
      filled = 0;
      buffer = free.isEmpty() ? new byte[Protocol.MAX_WRITE] : free.pop();
    }

    /**
     * Puts {@code piece}, ordered behind the piece answered by {@code before} when that is still on
     * its way. An ordered write refused as out of order (the file was longer than its offset: the
     * series rewrites a longer file) goes again once {@code before} has landed.
     */
    private void putAfter(Piece piece, Future<Void> before) throws Exception {
      boolean ordered = before != null && !before.isDone();
      if (before != null && !ordered) {
        before.get(); // answered already: sent plainly, unless it failed (then not past its hole)
      }
      try {
        putPiece(name, path, piece.at(), piece.bytes(), piece.length(), ordered);
      } catch (ProtocolException e) {
        if (!ordered || e.code() != ErrorCode.OUT_OF_ORDER) {
          throw e;
        }
        before.get(); // its failure is this piece's too: it is not sent past a hole
        putPiece(name, path, piece.at(), piece.bytes(), piece.length(), false);
      }
    }

    /** Waits for the oldest piece on its way; a failure is kept, its piece kept to send again. */
    private void awaitOldest() {
      Sending s = sending.removeFirst();
      try {
        s.answer().get();
        free.push(s.piece().bytes());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failedWith(s.piece(), new InterruptedIOException("interrupted while sending " + url(path)));
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() instanceof ExecutionException inner ? inner.getCause() : e.getCause();
        failedWith(
            s.piece(),
            cause instanceof IOException io ? io : new IOException(url(path) + ": " + cause.getMessage(), cause));
      }
    }

    private void failedWith(Piece piece, IOException e) {
      if (failed == null) {
        failed = e;
      }
      unsent.add(piece);
    }

    /** Waits for every piece on its way; throws the first failure. */
    private void drain() throws IOException {
      while (!sending.isEmpty()) {
        awaitOldest();
      }
      if (failed != null) {
        throw new IOException(failed.getMessage(), failed);
      }
    }

    @Override
    public void flush() throws IOException {
      if (filled > 0) {
        sendBuffer();
      }
      drain();
    }

    @Override
    public void close() throws IOException {
      try {
        if (failed != null) {
          sendUnsent(); // the failure was thrown to the writer already
          return;
        }
        try {
          flush();
        } catch (IOException e) {
          try {
            sendUnsent();
          } catch (IOException again) {
            e.addSuppressed(again);
          }
          throw e;
        }
      } finally {
        sender.shutdown();
      }
    }

    /**
     * Sends the pieces that failed once more, in order, each after those before it: those still
     * on their way are waited for behind them (an ordered one lands once its predecessor has), and
     * any of them that fails goes again too. So what arrives is still a prefix.
     */
    private void sendUnsent() throws IOException {
      while (true) {
        if (!unsent.isEmpty()) {
          Piece p = unsent.remove(0);
          putPiece(name, path, p.at(), p.bytes(), p.length(), false);
        } else if (!sending.isEmpty()) {
          awaitOldest();
        } else {
          return;
        }
      }
    }
  }

  @Override
  public void truncate(String name, long size) throws IOException {
    ObjectNode op = op("truncate");
    op.put("name", StorageNames.check(name));
    op.put("size", size);
    change(op, HeldListings.folderOf(name));
  }

  @Override
  public void force(String name) throws IOException {
    runOp(op("force").put("name", StorageNames.check(name)));
  }

  @Override
  public void makeFolder(String folder) throws IOException {
    if (StorageNames.checkFolder(folder).isEmpty()) {
      return; // the carrier's own folder is the server's: there whenever the server answers
    }
    if (held.exists(folder)) {
      return; // listed under the lock with files in it: there, and no one may remove it meanwhile
    }
    runOp(op("mkdir").put("folder", StorageNames.checkFolder(folder)));
  }

  @Override
  public void forceFolder(String folder) throws IOException {
    runOp(op("force-folder").put("folder", StorageNames.checkFolder(folder)));
  }

  @Override
  public void rename(String from, String to) throws IOException {
    change(
        op("rename").put("from", StorageNames.check(from)).put("to", StorageNames.check(to)),
        HeldListings.folderOf(from),
        HeldListings.folderOf(to));
  }

  @Override
  public boolean link(String from, String to) throws IOException {
    StorageNames.check(from);
    StorageNames.check(to);
    if (!features.contains(Protocol.FEATURE_LINK)) {
      return false;
    }
    JsonNode answer = change(op("link").put("from", from).put("to", to), HeldListings.folderOf(to));
    return answer != null && answer.path("linked").asBoolean();
  }

  @Override
  public void delete(String name) throws IOException {
    change(op("delete").put("name", StorageNames.check(name)), HeldListings.folderOf(name));
  }

  @Override
  public Digest hash(String name, long length) throws IOException {
    StorageNames.check(name);
    if (!features.contains(Protocol.FEATURE_HASH)) {
      return hashHere(name, length);
    }
    JsonNode answer = runOp(op("hash").put("name", name).put("length", length));
    if (answer == null) {
      throw badAnswer(Protocol.OPS, "gives no hash");
    }
    return new Digest(answer.path("size").asLong(), answer.path("sha256").asText());
  }

  /**
   * Keeps the id of every write lock taken in {@code memory} (closed with this storage), and asks
   * for the lock with the id a killed command of this host left there, so that the next command
   * takes it over at once instead of waiting out its expiry (when the server offers {@code
   * reclaim}).
   */
  public void rememberLocksIn(LockMemory memory) {
    this.memory = memory;
  }

  @Override
  public StorageLock lock(String owner) throws IOException {
    ObjectNode body = WireJson.object();
    body.put("owner", owner);
    body.put("ttlSeconds", lockSeconds);
    LockMemory kept = memory;
    if (kept != null && features.contains(Protocol.FEATURE_RECLAIM)) {
      kept.previous().ifPresent(id -> body.put("reclaim", id));
    }
    HttpResponse<byte[]> r = send(request(Protocol.LOCK).POST(json(body)), Protocol.LOCK);
    if (r.statusCode() == ErrorCode.LOCKED.status()) {
      JsonNode e = parse(r.body());
      if (e != null && ErrorCode.LOCKED.code().equals(e.path("error").asText())) {
        throw new StorageLockedException(location(), e.path("holder").asText(null));
      }
    }
    check(r, Protocol.LOCK);
    String id = token(json(r, Protocol.LOCK).path("lock").asText(), Protocol.LOCK, "lock id");
    lockId = id;
    held.lockTaken();
    if (kept != null) {
      kept.remember(id);
    }
    long every = lockSeconds * 1000L / 3;
    ScheduledFuture<?> renewal =
        renewer.scheduleWithFixedDelay(() -> renew(id), every, every, TimeUnit.MILLISECONDS);
    return new StorageLock() {
      /** Set once released. */
      private boolean released;

      @Override
      public void close() throws IOException {
        if (released) {
          return;
        }
        released = true;
        renewal.cancel(false);
        lockId = null;
        held.lockGone();
        String path = Protocol.LOCK + "/" + id;
        check(send(request(path).DELETE(), path), path);
        if (kept != null) {
          kept.forget();
        }
      }
    };
  }

  @Override
  public Optional<VersionedManifest> readManifest() throws IOException {
    HttpResponse<byte[]> r = send(request(Protocol.MANIFEST).GET(), Protocol.MANIFEST);
    if (r.statusCode() == ErrorCode.NO_MANIFEST.status()) {
      JsonNode e = parse(r.body());
      if (e != null && ErrorCode.NO_MANIFEST.code().equals(e.path("error").asText())) {
        return Optional.empty();
      }
    }
    check(r, Protocol.MANIFEST);
    String etag = r.headers().firstValue("ETag").orElse("");
    String version = etag.replace("\"", "");
    if (version.isEmpty()) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST, url(Protocol.MANIFEST) + ": the answer has no ETag (its version)");
    }
    token(version, Protocol.MANIFEST, "manifest version");
    return Optional.of(new VersionedManifest(r.body(), version));
  }

  @Override
  public String replaceManifest(byte[] bytes, String expectedVersion) throws IOException {
    HttpRequest.Builder b =
        request(Protocol.MANIFEST)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
    if (expectedVersion == null) {
      b.header("If-None-Match", "*");
    } else {
      b.header("If-Match", "\"" + expectedVersion + "\"");
    }
    // The manifest is a file of the carrier's own folder.
    HttpResponse<byte[]> r = changing(() -> send(b, Protocol.MANIFEST), "");
    if (r.statusCode() == ErrorCode.MANIFEST_CHANGED.status()) {
      String found = readManifest().map(VersionedManifest::version).orElse(null);
      throw new ManifestChangedException(location(), expectedVersion, found);
    }
    check(r, Protocol.MANIFEST);
    return token(json(r, Protocol.MANIFEST).path("version").asText(), Protocol.MANIFEST, "manifest version");
  }

  @Override
  public Optional<ServerSideImages> serverSide() {
    if (!features.contains(Protocol.FEATURE_MERGE)) {
      return Optional.empty();
    }
    return Optional.of(
        (top, into, below) -> {
          ObjectNode op = op("merge");
          op.put("top", StorageNames.check(top));
          op.put("into", StorageNames.check(into));
          com.fasterxml.jackson.databind.node.ArrayNode list = op.putArray("below");
          for (String b : below) {
            list.add(StorageNames.check(b));
          }
          change(op, HeldListings.EVERY_FOLDER);
        });
  }

  @Override
  public void close() {
    renewer.shutdownNow();
    if (memory != null) {
      try {
        memory.close();
      } catch (IOException e) {
        // The memory's file lock goes with this process at the latest; nothing is lost.
      }
    }
  }

  private void renew(String id) {
    if (!id.equals(lockId)) {
      return;
    }
    String path = Protocol.LOCK + "/" + id;
    try {
      check(send(request(path).PUT(HttpRequest.BodyPublishers.noBody()), path), path);
    } catch (IOException e) {
      // The next changing request is refused (lock-required) and says so; nothing kept of the
      // carrier's folders is sure any more.
      held.lockGone();
    }
  }

  private void putPiece(String name, String path, long at, byte[] bytes, int length)
      throws IOException {
    putPiece(name, path, at, bytes, length, false);
  }

  /**
   * Writes {@code length} bytes of {@code bytes} at {@code at}; {@code ordered}: only once the file
   * is {@code at} bytes long ({@link Protocol#FEATURE_ORDERED}).
   */
  private void putPiece(String name, String path, long at, byte[] bytes, int length, boolean ordered)
      throws IOException {
    String target = path + "?offset=" + at + "&length=" + length + (ordered ? "&ordered=1" : "");
    HttpRequest.Builder b =
        request(target)
            .header("Content-Type", "application/octet-stream")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes, 0, length));
    changing(
        () -> {
          check(send(b, target), target);
          return null;
        },
        HeldListings.folderOf(name));
  }

  private Digest hashHere(String name, long length) throws IOException {
    try (InputStream in = openRead(name, 0)) {
      return Digest.of(in, length, url(file(name)));
    }
  }

  private ObjectNode op(String name) {
    ObjectNode o = WireJson.object();
    o.put("op", name);
    return o;
  }

  /** Runs an operation that changes the files of {@code folders}. */
  private JsonNode change(ObjectNode op, String... folders) throws IOException {
    return changing(() -> runOp(op), folders);
  }

  /** A request that changes the carrier's files; its answer. */
  private interface Change<T> {
    T send() throws IOException;
  }

  /**
   * Sends {@code request}, which changes the files of {@code folders}, announcing it to the
   * listings kept before it is sent and once it is answered or failed ({@link HeldListings}).
   */
  private <T> T changing(Change<T> request, String... folders) throws IOException {
    held.changing(folders);
    try {
      return request.send();
    } finally {
      held.changed(folders);
    }
  }

  /**
   * Runs an operation; its answer's JSON, or null for none. Hashing, forcing and merging work
   * through whole files where the bytes are and may take minutes: they get no timeout.
   */
  private JsonNode runOp(ObjectNode op) throws IOException {
    HttpRequest.Builder b = request(Protocol.OPS).POST(json(op));
    String name = op.path("op").asText();
    if (!name.equals("hash") && !name.equals("force") && !name.equals("merge")) {
      b.timeout(SMALL_TIMEOUT);
    }
    HttpResponse<byte[]> r = send(b, Protocol.OPS, Protocol.OPS + " " + WireJson.write(op));
    check(r, Protocol.OPS);
    return r.statusCode() == 204 ? null : json(r, Protocol.OPS);
  }

  private static HttpRequest.BodyPublisher json(ObjectNode body) {
    return HttpRequest.BodyPublishers.ofString(WireJson.write(body), StandardCharsets.UTF_8);
  }

  private static String file(String name) {
    return Protocol.FILES + "/" + StorageNames.check(name);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .header(Protocol.AUTHORIZATION, Protocol.BEARER + token)
            .header(Protocol.PROTOCOL_HEADER, Integer.toString(Protocol.VERSION));
    String id = lockId;
    if (id != null) {
      b.header(Protocol.LOCK_HEADER, id);
    }
    return b;
  }

  /** Sends a request whose answer is small, and fails on an error answer. */
  private HttpResponse<byte[]> small(HttpRequest.Builder b, String path) throws IOException {
    HttpResponse<byte[]> r = send(b.timeout(SMALL_TIMEOUT), path);
    check(r, path);
    return r;
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder b, String path) throws IOException {
    return send(b, path, path);
  }

  /** As {@link #send(HttpRequest.Builder, String)}, shown as {@code logged} in the request log. */
  private HttpResponse<byte[]> send(HttpRequest.Builder b, String path, String logged)
      throws IOException {
    try {
      HttpRequest req = b.build();
      long sent = System.nanoTime();
      HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
      logged(req, r.statusCode(), sent, logged);
      return r;
    } catch (IllegalArgumentException e) {
      // The JDK's client refuses some malformed answers so (a Content-Length that is no number).
      throw badAnswer(path, "is malformed (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for " + url(path));
    } catch (IOException e) {
      throw unreachable(path, e);
    }
  }

  /** Tells the request log, when one is asked for, of a request and its answer. */
  private static void logged(HttpRequest req, int status, long sent, String path) {
    long answered = System.nanoTime();
    java.time.Instant answeredAt = java.time.Instant.now();
    RequestLog log = RequestLog.get();
    if (log != null) {
      log.answered(
          sent, answered, answeredAt, status, req.method(), path,
          req.bodyPublisher().map(p -> p.contentLength()).orElse(-1L));
    }
  }

  private void check(HttpResponse<byte[]> r, String path) throws IOException {
    if (r.statusCode() >= 200 && r.statusCode() < 300) {
      return;
    }
    throw error(r.statusCode(), r.body(), path);
  }

  /** The exception for an error answer: the server's message and the URL. */
  private IOException error(int status, byte[] body, String path) {
    JsonNode e = parse(body);
    ErrorCode code = e == null ? null : ErrorCode.of(e.path("error").asText());
    String message = e == null ? null : e.path("message").asText(null);
    String where = url(path);
    if (code == null || message == null) {
      return new ProtocolException(
          status == 401 ? ErrorCode.UNAUTHORIZED : ErrorCode.IO_ERROR,
          where + ": the server answered " + status + " without a carrier protocol error"
              + " (is this a carryon server?)");
    }
    if (code == ErrorCode.NOT_FOUND) {
      return new NoSuchFileException(where, null, message);
    }
    return new ProtocolException(code, message + " (" + where + ")");
  }

  /** The JSON object of answer {@code r}; refuses one that is none. */
  private JsonNode json(HttpResponse<byte[]> r, String path) throws ProtocolException {
    JsonNode n = parse(r.body());
    if (n == null) {
      throw badAnswer(path, "is not the JSON object the protocol says");
    }
    return n;
  }

  /**
   * {@code value} (a lock id or manifest version the server gave, sent back in headers and paths)
   * when it is 1 to 128 letters, digits, {@code -} or {@code _}; else refused.
   */
  private String token(String value, String path, String what) throws ProtocolException {
    if (!TOKEN.matcher(value).matches()) {
      throw badAnswer(path, "gives a " + what + " that is not 1 to 128 letters, digits, - or _");
    }
    return value;
  }

  /** A refusal of the server's answer to {@code path}, which {@code what}. */
  private ProtocolException badAnswer(String path, String what) {
    return new ProtocolException(
        ErrorCode.IO_ERROR, url(path) + ": the server's answer " + what + " (is this a carryon server?)");
  }

  /** {@code in}, whose failures (an answer cut short) name the server's URL for {@code path}. */
  private InputStream named(InputStream in, String path) {
    return new java.io.FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        try {
          return super.read();
        } catch (IOException e) {
          throw unreachable(path, e);
        }
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return super.read(b, off, len);
        } catch (IOException e) {
          throw unreachable(path, e);
        }
      }
    };
  }

  private IOException unreachable(String path, IOException e) {
    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new ServerUnreachableException(
        "cannot reach the carrier server at " + url(path) + ": " + why, e);
  }

  private String url(String path) {
    return base.resolve(path).toString();
  }

  private static JsonNode parse(byte[] body) {
    try {
      JsonNode n = MAPPER.readTree(body);
      return n != null && n.isObject() ? n : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
