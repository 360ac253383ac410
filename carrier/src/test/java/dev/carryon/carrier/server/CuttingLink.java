package dev.carryon.carrier.server;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP link on loopback between a client and a carrier server that counts the bytes the client
 * sends and can drop every connection once, at a chosen byte: a cable pulled (or a Wi-Fi gone)
 * mid-request. Connections made after the drop go through again, as after the user plugs back in.
 *
 * <p>It can also hold a client at a chosen request (named by the text its request line starts
 * with): the client's bytes stop going through part way into that request's body, or the request
 * goes through whole and no answer comes back. A test then kills the held client at exactly that
 * point of its work, and {@link #release()} drops what it left.
 */
public final class CuttingLink implements Closeable {
  /** Where clients connect. */
  private final ServerSocket listening;

  /** The server's address. */
  private final InetSocketAddress server;

  /** Bytes sent by clients so far, over every connection. */
  private final AtomicLong sent = new AtomicLong();

  /** The byte count at which every open connection is dropped (once); -1 never. */
  private volatile long cutAt = -1;

  /** Bytes servers sent back so far, over every connection. */
  private final AtomicLong received = new AtomicLong();

  /** As {@link #cutAt}, counting the bytes servers send back; -1 never. */
  private volatile long receivedCutAt = -1;

  /** True once the cut happened. */
  private volatile boolean cut;

  /** The request text to hold at, or null. */
  private volatile byte[] holdMarker;

  /** Bytes of the held request to let through; -1: all of it, the answers held instead. */
  private volatile long holdInto;

  /** Matches of {@link #holdMarker} still to pass before the one held. */
  private volatile int holdSkip;

  /** The client byte count past which nothing goes through, once the marker is seen; -1 none. */
  private volatile long heldAt = -1;

  /** True once answers are held. */
  private volatile boolean answersHeld;

  /** Open sockets, both sides, to drop at the cut. */
  private final List<Socket> open = new ArrayList<>();

  private CuttingLink(ServerSocket listening, InetSocketAddress server) {
    this.listening = listening;
    this.server = server;
    Thread t = new Thread(this::accept, "cutting link " + listening.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  /** A link to the server at {@code uri} (its host and port). */
  public static CuttingLink to(URI uri) throws IOException {
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    return new CuttingLink(s, new InetSocketAddress(uri.getHost(), uri.getPort()));
  }

  /** The server's URL {@code uri} as reached through this link. */
  public URI through(URI uri) {
    return URI.create(
        uri.getScheme() + "://127.0.0.1:" + listening.getLocalPort() + uri.getRawPath());
  }

  /** Bytes clients sent so far. */
  public long sent() {
    return sent.get();
  }

  /** Drops every connection when clients have sent {@code bytes} more bytes (once). */
  public void cutAfter(long bytes) {
    cut = false;
    cutAt = sent.get() + bytes;
  }

  /** Bytes servers sent back so far. */
  public long received() {
    return received.get();
  }

  /**
   * Drops every connection when servers have sent {@code bytes} more bytes back (once): a cut
   * spread over what a client reads.
   */
  public void cutAfterReceived(long bytes) {
    cut = false;
    receivedCutAt = received.get() + bytes;
  }

  /**
   * Takes back a cut that has not happened: the operation it was armed for read or sent fewer
   * bytes than a measured run did, and the cut must not fall on the next one.
   */
  public void disarm() {
    cutAt = -1;
    receivedCutAt = -1;
  }

  /** True once the cut has happened. */
  public boolean wasCut() {
    return cut;
  }

  /**
   * Holds clients at the {@code occurrence}-th request (counted from now, 1 the next) whose bytes
   * contain {@code requestText}: with {@code bytesInto} >= 0 only that many bytes from the start
   * of the text go through and the client's further bytes are held; with -1 the whole request
   * goes through and no answer comes back from then on.
   */
  public void holdAt(String requestText, int occurrence, long bytesInto) {
    heldAt = -1;
    answersHeld = false;
    holdInto = bytesInto;
    holdSkip = occurrence - 1;
    holdMarker = requestText.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** Waits until a client is held as {@link #holdAt} asked; false when none was within the time. */
  public boolean awaitHeld(java.time.Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if ((heldAt >= 0 && sent.get() >= heldAt) || answersHeld) {
        return true;
      }
      Thread.sleep(5);
    }
    return false;
  }

  /** Stops holding: the held connections are dropped, new ones go through. */
  public void release() {
    holdMarker = null;
    heldAt = -1;
    answersHeld = false;
    dropAll();
    cut = false;
  }

  private void accept() {
    while (!listening.isClosed()) {
      try {
        Socket client = listening.accept();
        Socket upstream = new Socket(server.getAddress(), server.getPort());
        synchronized (open) {
          open.add(client);
          open.add(upstream);
        }
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        // closed, or the server refused: the client sees its connection end
      }
    }
  }

  private void pump(Socket from, Socket to, boolean fromClient) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 << 10];
              byte[] tail = new byte[0];
              try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                  if (fromClient) {
                    tail = watchForHold(tail, buf, n);
                    n = holdClient(out, buf, n);
                    if (n < 0) {
                      return;
                    }
                  } else if (answersHeld) {
                    holdWhile(() -> answersHeld);
                    return;
                  }
                  AtomicLong count = fromClient ? sent : received;
                  long limit = fromClient ? cutAt : receivedCutAt;
                  long before = count.getAndAdd(n);
                  if (limit >= 0 && !cut && before + n >= limit) {
                    out.write(buf, 0, (int) (limit - before));
                    out.flush();
                    dropAll();
                    return;
                  }
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // the other side went away
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "link pump");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Looks for the hold's request text in {@code buf} (with the {@code tail} of earlier reads, so a
   * text split between reads is found); returns the new tail.
   */
  private byte[] watchForHold(byte[] tail, byte[] buf, int n) {
    byte[] marker = holdMarker;
    if (marker == null || heldAt >= 0 || answersHeld) {
      return tail;
    }
    byte[] seen = new byte[tail.length + n];
    System.arraycopy(tail, 0, seen, 0, tail.length);
    System.arraycopy(buf, 0, seen, tail.length, n);
    for (int i = 0; i + marker.length <= seen.length; i++) {
      if (java.util.Arrays.equals(seen, i, i + marker.length, marker, 0, marker.length)) {
        if (holdSkip > 0) {
          holdSkip--;
          continue;
        }
        if (holdInto < 0) {
          answersHeld = true;
        } else {
          // seen[i] is client byte number sent + i - tail.length (sent not yet counting buf).
          heldAt = sent.get() + i - tail.length + holdInto;
        }
        return new byte[0];
      }
    }
    int keep = Math.min(seen.length, marker.length - 1);
    return java.util.Arrays.copyOfRange(seen, seen.length - keep, seen.length);
  }

  /**
   * Writes what of {@code buf} may pass the hold and, when the hold is reached, waits until it is
   * released: returns -1 then (the connection is over), else the bytes still to send as usual.
   */
  private int holdClient(OutputStream out, byte[] buf, int n) throws IOException {
    long at = heldAt;
    if (at < 0) {
      return n;
    }
    long before = sent.get();
    int pass = (int) Math.max(0, Math.min(n, at - before));
    if (pass == n) {
      return n;
    }
    out.write(buf, 0, pass);
    out.flush();
    sent.addAndGet(pass);
    holdWhile(() -> heldAt >= 0);
    return -1;
  }

  private static void holdWhile(java.util.function.BooleanSupplier held) {
    while (held.getAsBoolean()) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The cut: every connection reset, both ways. */
  private void dropAll() {
    cut = true;
    cutAt = -1;
    receivedCutAt = -1;
    synchronized (open) {
      for (Socket s : open) {
        try {
          s.setSoLinger(true, 0); // a reset, not an orderly close
        } catch (IOException e) {
          // already closed
        }
        closeQuietly(s);
      }
      open.clear();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }

  @Override
  public void close() throws IOException {
    listening.close();
    dropAll();
  }
}
