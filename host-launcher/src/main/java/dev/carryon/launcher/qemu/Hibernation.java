package dev.carryon.launcher.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.carryon.carrier.Progress;
import dev.carryon.launcher.qmp.QmpClient;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Saves a running guest's RAM and device state to a stream and restores it into a fresh QEMU: QEMU
 * migration over a UNIX socket, with carryon's Java code at the other end (QEMU 7.2 has no {@code
 * file:} migration).
 *
 * <p>The state bytes pass through as they are, in direct buffers: a caller that wants them
 * compressed passes a compressing channel; the sizes reported are those of the raw state.
 */
public final class Hibernation {
  /** Bytes per second QEMU may send; its default (128 MiB/s) makes a save needlessly slow. */
  static final long MAX_BANDWIDTH = 1L << 40;
  /** How often migration status is polled; a whole save of a small guest takes ~0.1-0.2 s. */
  private static final Duration POLL = Duration.ofMillis(10);
  /**
   * How often a restore whose every byte QEMU has received asks whether it is done: QEMU has its
   * last buffer left to load, a few milliseconds, and the guest waits on the answer.
   */
  private static final Duration FED_POLL = Duration.ofMillis(2);
  /** Timeout of each single QMP command. */
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
  /** How long a QEMU that rejected a state is given to exit and say why. */
  private static final Duration FAILURE_GRACE = Duration.ofSeconds(2);

  /**
   * What one save or restore moved and how long it took.
   *
   * @param stateBytes size of the raw migration state
   * @param elapsed from the guest's stop to the state closed (save), or from {@code
   *     migrate-incoming} to the restored guest running (restore)
   */
  public record Stats(long stateBytes, Duration elapsed) {}

  private Hibernation() {}

  /**
   * Stops the guest, writes its state to {@code state} and closes {@code state}; QEMU is left
   * paused (QEMU's "postmigrate") with the guest's memory, for the caller to quit once it has
   * recorded that the state is whole. {@code state}'s close must make it durable (a state file
   * forces itself on close). The guest is never continued after a completed save: its disk would
   * run ahead of the saved state (see {@link #allowSaveAgain} for the one exception).
   *
   * @param timeout for the whole migration
   * @throws IOException when the migration fails (with QEMU's reason) or times out, or {@code
   *     state} cannot be written or closed; QEMU is left stopped but running, for the caller to
   *     close
   */
  public static Stats save(QemuProcess vm, WritableByteChannel state, Duration timeout)
      throws IOException {
    return save(vm, state, timeout, Progress.NONE);
  }

  /**
   * Like {@link #save(QemuProcess, WritableByteChannel, Duration)}, telling {@code progress} how
   * much of the guest's RAM QEMU has sent, as its {@code query-migrate} counts it.
   */
  public static Stats save(
      QemuProcess vm, WritableByteChannel state, Duration timeout, Progress progress)
      throws IOException {
    QmpClient qmp = vm.qmp();
    Path socket = vm.workDir().resolve("save.sock");
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      // A save whose process was killed leaves its socket behind; nobody listens on it any more.
      Files.deleteIfExists(socket);
      server.bind(UnixDomainSocketAddress.of(socket));
      qmp.execute("stop", COMMAND_TIMEOUT);
      qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", MAX_BANDWIDTH), COMMAND_TIMEOUT);
      CompletableFuture<Long> copied = new CompletableFuture<>();
      Thread receiver =
          new Thread(() -> receive(server, state, copied), "carryon-save " + vm.pid());
      receiver.setDaemon(true);
      receiver.start();
      try {
        qmp.execute("migrate", Map.of("uri", "unix:" + socket), COMMAND_TIMEOUT);
        try {
          awaitMigration(qmp, "completed", deadline, progress, POLL);
        } catch (IOException e) {
          throw writerFailure(copied).orElse(e);
        }
        long bytes = await(copied, deadline, "the saved state");
        state.close();
        return new Stats(bytes, Duration.ofNanos(System.nanoTime() - start));
      } finally {
        server.close(); // ends a receiver still waiting for QEMU to connect
        joinQuietly(receiver);
      }
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  /**
   * Makes a guest that an earlier save left paused after QEMU had sent its whole state ready to be
   * saved again: QEMU refuses to migrate a VM paused by a completed migration, so it is continued
   * first ({@link #save} stops it again at once). Only for a caller that has deleted whatever that
   * earlier save wrote and never recorded it: no saved state of that moment may survive a guest
   * that ran on. Does nothing to a guest in any other state.
   */
  public static void allowSaveAgain(QemuProcess vm) throws IOException {
    QmpClient qmp = vm.qmp();
    if ("postmigrate".equals(qmp.execute("query-status", COMMAND_TIMEOUT).path("status").asText())) {
      qmp.execute("cont", COMMAND_TIMEOUT);
    }
  }

  /**
   * Restores {@code state} into {@code vm}, which must have been started with {@link
   * QemuLaunch#withIncoming incoming} and the same {@link dev.carryon.carrier.VmConfig}, then
   * continues the guest.
   *
   * @param timeout for the whole migration
   * @throws IOException when QEMU rejects the state (with its reason) or the migration times out;
   *     the guest is then not continued
   */
  public static Stats restore(QemuProcess vm, ReadableByteChannel state, Duration timeout)
      throws IOException {
    return restore(vm, state, timeout, () -> {});
  }

  /** Something done with a restored guest while it is still paused, before it continues. */
  @FunctionalInterface
  public interface WhilePaused {
    void run() throws IOException;
  }

  /**
   * Like {@link #restore(QemuProcess, ReadableByteChannel, Duration)}, running {@code whilePaused}
   * once the state is in and before the guest continues.
   */
  public static Stats restore(
      QemuProcess vm, ReadableByteChannel state, Duration timeout, WhilePaused whilePaused)
      throws IOException {
    if (!vm.launch().incoming()) {
      throw new IllegalArgumentException(vm + " was not started to receive a migration");
    }
    QmpClient qmp = vm.qmp();
    Path socket = vm.workDir().resolve("restore.sock");
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    // QEMU listens on the socket itself; carryon connects and feeds it.
    qmp.execute("migrate-incoming", Map.of("uri", "unix:" + socket), COMMAND_TIMEOUT);
    try {
      long bytes = feed(socket, state, vm.pid());
      awaitMigration(qmp, "completed", deadline, Progress.NONE, FED_POLL);
      awaitPaused(qmp, deadline, FED_POLL);
      whilePaused.run();
      qmp.execute("cont", COMMAND_TIMEOUT);
      return new Stats(bytes, Duration.ofNanos(System.nanoTime() - start));
    } catch (IOException e) {
      // QEMU 7.2 exits when it rejects a state; its reason beats "Broken pipe".
      throw new IOException("restore failed: " + whyRestoreFailed(vm, e), e);
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  /** Streams {@code state} into QEMU's incoming socket; returns the bytes sent. */
  private static long feed(Path socket, ReadableByteChannel state, long pid) throws IOException {
    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      long bytes = OverlappedCopy.copy(state, channel, "carryon-restore-read " + pid);
      channel.shutdownOutput();
      return bytes;
    }
  }

  /** QEMU's own reason for a failed restore: its last words, or the migration's error. */
  private static String whyRestoreFailed(QemuProcess vm, IOException seen) {
    try {
      if (vm.waitForExit(FAILURE_GRACE)) {
        String tail = vm.stderrTail();
        return tail.isEmpty() ? vm.exited() : tail;
      }
      JsonNode info = vm.qmp().execute("query-migrate", COMMAND_TIMEOUT);
      if (info.has("error-desc")) {
        return info.path("error-desc").asText();
      }
    } catch (IOException e) {
      // Fall back to what the caller saw.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return seen.getMessage();
  }

  private static void receive(
      ServerSocketChannel server, WritableByteChannel state, CompletableFuture<Long> copied) {
    try (SocketChannel channel = server.accept()) {
      copied.complete(OverlappedCopy.copy(channel, state, "carryon-save-read"));
    } catch (IOException | RuntimeException e) {
      copied.completeExceptionally(e);
    }
  }

  /**
   * Why the receiver failed, if it did. A state that cannot be written (a full disk) reaches QEMU
   * only as a broken pipe: the receiver's own error says what happened. It closes the socket just
   * before it records that error, so it is given a moment.
   */
  private static Optional<IOException> writerFailure(CompletableFuture<Long> copied) {
    try {
      copied.get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (ExecutionException e) {
      return Optional.of(
          new IOException(
              "cannot receive the saved state: " + e.getCause().getMessage(), e.getCause()));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * Polls {@code query-migrate} until {@code status}, telling {@code progress} how much RAM is sent;
   * fails on {@code failed} or {@code cancelled}.
   */
  private static void awaitMigration(
      QmpClient qmp, String status, long deadline, Progress progress, Duration poll)
      throws IOException {
    while (true) {
      JsonNode info = qmp.execute("query-migrate", COMMAND_TIMEOUT);
      String now = info.path("status").asText("none");
      JsonNode ram = info.path("ram");
      if (ram.has("total")) {
        long total = ram.path("total").asLong();
        progress.advanced(now.equals("completed") ? total : total - ram.path("remaining").asLong(), total);
      }
      if (now.equals(status)) {
        return;
      }
      if (now.equals("failed") || now.equals("cancelled")) {
        throw new IOException(
            "migration " + now + ": " + info.path("error-desc").asText("QEMU gave no reason"));
      }
      pause(deadline, poll, "migration to reach '" + status + "' (now '" + now + "')");
    }
  }

  /** Waits until the restored guest is paused, ready to be continued. */
  private static void awaitPaused(QmpClient qmp, long deadline, Duration poll) throws IOException {
    while (true) {
      String now = qmp.execute("query-status", COMMAND_TIMEOUT).path("status").asText();
      if (now.equals("paused")) {
        return;
      }
      pause(deadline, poll, "the restored guest to be paused (now '" + now + "')");
    }
  }

  private static void pause(long deadline, Duration poll, String what) throws IOException {
    if (System.nanoTime() - deadline > 0) {
      throw new IOException("timed out waiting for " + what);
    }
    try {
      Thread.sleep(poll.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for " + what);
    }
  }

  private static <T> T await(CompletableFuture<T> future, long deadline, String what)
      throws IOException {
    try {
      return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new IOException("timed out waiting for " + what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for " + what);
    } catch (ExecutionException e) {
      throw new IOException("cannot receive " + what + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Waits briefly for a helper thread that was just told to end; keeps an interrupt pending. */
  private static void joinQuietly(Thread thread) {
    try {
      thread.join(COMMAND_TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
