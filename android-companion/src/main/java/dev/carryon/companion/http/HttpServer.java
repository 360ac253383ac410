package dev.carryon.companion.http;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A small HTTP/1.1 server on plain sockets, for a phone (no Jetty there): one thread per
 * connection, at most {@link HttpLimits#connections()} at once (further clients wait in the
 * listen backlog until one closes), keep-alive, {@code Content-Length} and chunked bodies both
 * ways, strict request parsing within {@link HttpLimits}. What a request means is the {@link
 * Handler}'s business.
 */
public final class HttpServer implements Closeable {
  private static final Logger LOG = Logger.getLogger(HttpServer.class.getName());

  /** The listening socket. */
  private final ServerSocket listener;

  /** What requests mean. */
  private final Handler handler;

  /** The bounds every connection and request is held to. */
  private final HttpLimits limits;

  /** One permit per connection that may be served now. */
  private final Semaphore slots;

  /** Runs the connections. */
  private final ExecutorService workers;

  /** The connections open now, closed by {@link #close}. */
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();

  /** Accepts connections. */
  private final Thread acceptor;

  /** Set by {@link #close}. */
  private volatile boolean closed;

  private HttpServer(ServerSocket listener, Handler handler, HttpLimits limits) {
    this.listener = listener;
    this.handler = handler;
    this.limits = limits;
    this.slots = new Semaphore(limits.connections());
    // No bound on threads here: the slots bound the connections. (A pool bounded as well would
    // refuse a connection accepted the moment a slot is freed, while the thread that freed it has
    // not yet gone back to the pool.)
    this.workers =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "carryon-http");
              t.setDaemon(true);
              return t;
            });
    this.acceptor = new Thread(this::acceptLoop, "carryon-http-accept " + address());
    this.acceptor.setDaemon(true);
  }

  /**
   * Listens on {@code address} (port 0: any free port) and serves requests with {@code handler}
   * until closed.
   */
  public static HttpServer start(InetSocketAddress address, Handler handler, HttpLimits limits)
      throws IOException {
    ServerSocket listener = new ServerSocket();
    try {
      listener.setReuseAddress(true);
      listener.bind(address, 50);
    } catch (IOException e) {
      listener.close();
      throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
    }
    HttpServer server = new HttpServer(listener, handler, limits);
    server.acceptor.start();
    return server;
  }

  /** The address listened on, with the port picked when 0 was asked. */
  public InetSocketAddress address() {
    return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
  }

  /** True until {@link #close} ran. */
  public boolean serving() {
    return !closed;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        slots.acquire();
      } catch (InterruptedException e) {
        return;
      }
      Socket s;
      try {
        s = listener.accept();
      } catch (IOException e) {
        slots.release();
        if (!closed) {
          LOG.log(Level.WARNING, "accepting a connection on " + address() + " failed", e);
          pause();
        }
        continue;
      }
      open.add(s);
      try {
        workers.execute(() -> serve(s));
      } catch (RejectedExecutionException e) {
        forget(s);
      }
    }
  }

  private void serve(Socket s) {
    try {
      new HttpConnection(s, handler, limits, this::serving).run();
    } finally {
      forget(s);
    }
  }

  private void forget(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Closing a socket the peer already dropped: nothing to do.
    }
    open.remove(s);
    slots.release();
  }

  /** After a failed accept (out of file descriptors, say): don't spin. */
  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops listening and closes every open connection (a request being served is cut), then waits
   * briefly for the connection threads to end.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    listener.close();
    acceptor.interrupt();
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // Being closed anyway.
      }
    }
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
      acceptor.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
