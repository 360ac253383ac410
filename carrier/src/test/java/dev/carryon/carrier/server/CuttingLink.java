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

  /** True once the cut happened. */
  private volatile boolean cut;

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

  /** True once the cut has happened. */
  public boolean wasCut() {
    return cut;
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

  private void pump(Socket from, Socket to, boolean counted) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 << 10];
              try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                  if (counted) {
                    long limit = cutAt;
                    long before = sent.getAndAdd(n);
                    if (limit >= 0 && !cut && before + n >= limit) {
                      out.write(buf, 0, (int) (limit - before));
                      out.flush();
                      dropAll();
                      return;
                    }
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

  /** The cut: every connection reset, both ways. */
  private void dropAll() {
    cut = true;
    cutAt = -1;
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
