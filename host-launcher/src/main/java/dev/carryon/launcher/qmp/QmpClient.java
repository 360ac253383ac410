package dev.carryon.launcher.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A client for QEMU's machine protocol over a UNIX socket (docs/interop/qmp-spec.rst).
 *
 * <p>Every command carries an {@code id}; one reader thread routes each reply to the command with
 * that id and each event to the listeners, so an event arriving between a command and its reply
 * is never taken for the reply. Replies with an id nobody waits for (a command that timed out) are
 * dropped. Thread-safe: commands may be sent from several threads at once.
 */
public final class QmpClient implements Closeable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Largest message accepted; QMP replies are small, this only bounds a broken peer. */
  private static final int MAX_MESSAGE = 64 * 1024 * 1024;

  /**
   * The socket: written by callers (under {@link #writeLock}) and read by {@link #reader}. Used
   * directly, not through {@code Channels} streams, which share one lock between reading and
   * writing and so would block every command while the reader waits for input.
   */
  private final SocketChannel channel;
  /** Held while a message is written, so messages never interleave. */
  private final Object writeLock = new Object();
  /** Source of command ids. */
  private final AtomicLong nextId = new AtomicLong();
  /** Commands sent and not yet answered, by id. */
  private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  /** Called on the reader thread for every event. */
  private final List<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
  /** One-shot waits for the next event of a name. */
  private final List<EventWait> eventWaits = new CopyOnWriteArrayList<>();
  /** Completed with the server's greeting. */
  private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
  /** Replies that carried no id or an id nobody waited for. */
  private final AtomicLong droppedReplies = new AtomicLong();
  /** Where the client is connected, for messages. */
  private final Path socket;
  /** Reads and routes every message until the connection ends. */
  private final Thread reader;
  /** Why the connection ended; null while it is open. */
  private volatile IOException closedBecause;

  private record EventWait(String name, CompletableFuture<QmpEvent> future) {}

  private QmpClient(SocketChannel channel, Path socket) {
    this.channel = channel;
    this.socket = socket;
    this.reader = new Thread(this::readLoop, "qmp-reader " + socket.getFileName());
    this.reader.setDaemon(true);
  }

  /**
   * Connects to a QMP server, reads its greeting and leaves capabilities negotiation mode.
   *
   * @param timeout how long to wait for the greeting and for the handshake's reply
   * @throws IOException when nothing listens on {@code socket}, or the handshake fails or times out
   */
  public static QmpClient connect(Path socket, Duration timeout) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    QmpClient client = new QmpClient(channel, socket);
    client.reader.start();
    try {
      JsonNode hello = await(client.greeting, timeout, "QMP greeting on " + socket);
      if (!hello.path("QMP").isObject()) {
        throw new IOException("not a QMP server on " + socket + ": " + hello);
      }
      client.execute("qmp_capabilities", timeout);
      return client;
    } catch (IOException | RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** The greeting's {@code version} object, e.g. {@code {"qemu":{"major":7,...},...}}. */
  public JsonNode version() {
    return greeting.join().path("QMP").path("version");
  }

  /** Runs a command without arguments; see {@link #execute(String, Map, Duration)}. */
  public JsonNode execute(String command, Duration timeout) throws IOException {
    return execute(command, Map.of(), timeout);
  }

  /**
   * Runs a command and returns its {@code return} value.
   *
   * @param arguments the command's arguments, converted to JSON by Jackson; empty for none
   * @throws QmpException when QEMU answers with an error
   * @throws QmpTimeoutException when no answer comes within {@code timeout}
   * @throws IOException when the connection is or gets closed before the answer
   */
  public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout)
      throws IOException {
    String id = "carryon-" + nextId.incrementAndGet();
    ObjectNode message = JSON.createObjectNode();
    message.put("execute", command);
    if (!arguments.isEmpty()) {
      message.set("arguments", JSON.valueToTree(arguments));
    }
    message.put("id", id);
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    pending.put(id, reply);
    try {
      ensureOpen();
      try {
        send(message);
      } catch (IOException e) {
        throw new IOException("QMP connection to " + socket + " closed: " + e.getMessage(), e);
      }
      JsonNode answer = await(reply, timeout, "QMP command '" + command + "'");
      JsonNode error = answer.get("error");
      if (error != null) {
        throw new QmpException(
            command, error.path("class").asText("?"), error.path("desc").asText(""));
      }
      return answer.path("return");
    } finally {
      pending.remove(id);
    }
  }

  /** Calls {@code listener} on the reader thread for every event; it must not block. */
  public void addEventListener(Consumer<QmpEvent> listener) {
    listeners.add(listener);
  }

  public void removeEventListener(Consumer<QmpEvent> listener) {
    listeners.remove(listener);
  }

  /**
   * The next event named {@code name} from now on. Call this before the command that causes the
   * event, so an event that comes quickly is not missed.
   */
  public CompletableFuture<QmpEvent> nextEvent(String name) {
    EventWait wait = new EventWait(name, new CompletableFuture<>());
    eventWaits.add(wait);
    IOException closed = closedBecause;
    if (closed != null) {
      wait.future.completeExceptionally(closed);
    }
    return wait.future;
  }

  /**
   * Waits for the next event named {@code name}.
   *
   * @throws QmpTimeoutException when it does not come within {@code timeout}
   */
  public QmpEvent waitForEvent(String name, Duration timeout) throws IOException {
    return await(nextEvent(name), timeout, "wait for QMP event " + name);
  }

  /** Whether the connection is still open. */
  public boolean isOpen() {
    return closedBecause == null;
  }

  /** Replies dropped because no command waited for their id. */
  long droppedReplies() {
    return droppedReplies.get();
  }

  /** Sends a raw message as is; lets tests send a command whose reply nobody waits for. */
  void send(ObjectNode message) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap((message.toString() + "\n").getBytes(StandardCharsets.UTF_8));
    synchronized (writeLock) {
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
    try {
      reader.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads messages, one per line as QMP sends them, and routes each until the connection ends. */
  private void readLoop() {
    IOException end = null;
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    try {
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          byte b = buffer.get();
          if (b != '\n') {
            line.write(b);
            if (line.size() > MAX_MESSAGE) {
              throw new IOException("a QMP message longer than " + MAX_MESSAGE + " bytes");
            }
          } else {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (!text.isBlank()) {
              route(JSON.readTree(text));
            }
          }
        }
        buffer.clear();
      }
    } catch (IOException e) {
      end = e;
    }
    String why = end == null || !channel.isOpen() ? "closed" : "closed: " + end.getMessage();
    IOException closed = new IOException("QMP connection to " + socket + " " + why, end);
    closedBecause = closed;
    greeting.completeExceptionally(closed);
    pending.values().forEach(f -> f.completeExceptionally(closed));
    eventWaits.forEach(w -> w.future.completeExceptionally(closed));
    try {
      channel.close();
    } catch (IOException ignored) {
      // Already ending; nothing more to release.
    }
  }

  private void route(JsonNode message) {
    if (message.has("QMP")) {
      greeting.complete(message);
    } else if (message.has("event")) {
      QmpEvent event = QmpEvent.of(message);
      for (Consumer<QmpEvent> listener : listeners) {
        try {
          listener.accept(event);
        } catch (RuntimeException e) {
          // A broken listener must not stop the routing of replies.
          System.err.println("carryon: QMP event listener failed on " + event.name() + ": " + e);
        }
      }
      eventWaits.removeIf(w -> w.future.isDone()); // waits that timed out
      for (EventWait wait : eventWaits) {
        if (wait.name.equals(event.name()) && eventWaits.remove(wait)) {
          wait.future.complete(event);
        }
      }
    } else {
      JsonNode id = message.get("id");
      CompletableFuture<JsonNode> reply = id == null ? null : pending.remove(id.asText());
      if (reply == null) {
        droppedReplies.incrementAndGet();
      } else {
        reply.complete(message);
      }
    }
  }

  private void ensureOpen() throws IOException {
    IOException closed = closedBecause;
    if (closed != null) {
      throw new IOException(closed.getMessage(), closed);
    }
  }

  private static <T> T await(CompletableFuture<T> future, Duration timeout, String what)
      throws IOException {
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new QmpTimeoutException(what, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(what + " interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw new IOException(what + ": " + io.getMessage(), io);
      }
      throw new IOException(what + ": " + cause, cause);
    }
  }
}
