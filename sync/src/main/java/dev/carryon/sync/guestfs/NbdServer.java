package dev.carryon.sync.guestfs;

import static dev.carryon.sync.guestfs.NbdProtocol.*;

import dev.carryon.sync.ext4.BlockDevice;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Serves {@link BlockDevice}s, read-only, as the exports of an NBD server on a UNIX socket, so
 * that QEMU reads exactly the bytes carryon gives it: for libguestfs, one partition or logical
 * volume of the carrier's disk chain (the single export, whatever name the client asks for); for a
 * resumed guest, each carrier image by its carrier name, every chunk checked on its way
 * ({@code dev.carryon.launcher.blocks}). Never anything QEMU could write to: writes, trims and
 * other commands get EPERM or EINVAL; a read the device fails gets EIO. Only fixed newstyle
 * negotiation is spoken. One thread per connection; {@link #close} stops them all.
 */
public final class NbdServer implements Closeable {
  /** The exports by name; a single unnamed one is served under any name. */
  private final Map<String, BlockDevice> exports;
  /** The socket file. */
  private final Path socket;
  /** The listening channel. */
  private final ServerSocketChannel server;
  /** Accepts connections. */
  private final Thread acceptor;
  /** Open connections, closed with the server. */
  private final List<SocketChannel> clients = new ArrayList<>();

  private NbdServer(Map<String, BlockDevice> exports, Path socket, ServerSocketChannel server) {
    this.exports = exports;
    this.socket = socket;
    this.server = server;
    this.acceptor = new Thread(this::accept, "nbd-accept");
    acceptor.setDaemon(true);
  }

  /** Listens on {@code socket} (which must not exist) and serves {@code device} under any name. */
  static NbdServer start(BlockDevice device, Path socket) throws IOException {
    return start(Map.of("", device), socket);
  }

  /**
   * Listens on {@code socket} (which must not exist) and serves each of {@code exports} under its
   * name ({@code ""} alone: one device under any name).
   */
  public static NbdServer start(Map<String, BlockDevice> exports, Path socket) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      server.close();
      throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
    }
    NbdServer s = new NbdServer(Map.copyOf(new TreeMap<>(exports)), socket, server);
    s.acceptor.start();
    return s;
  }

  /** The socket file clients connect to. */
  public Path socket() {
    return socket;
  }

  private void accept() {
    while (true) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      synchronized (clients) {
        clients.add(client);
      }
      Thread t = new Thread(() -> serve(client), "nbd-client");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(SocketChannel ch) {
    try (ch) {
      BlockDevice device = negotiate(ch);
      if (device != null) {
        transmit(ch, device);
      }
    } catch (ClosedChannelException | EOFException e) {
      // The client went away, or the server is closing.
    } catch (IOException e) {
      System.err.println("carryon: NBD connection failed: " + e.getMessage());
    } finally {
      synchronized (clients) {
        clients.remove(ch);
      }
    }
  }

  /** The export named {@code name}, or null. */
  private BlockDevice export(ByteBuffer name) {
    BlockDevice only = exports.get("");
    if (only != null && exports.size() == 1) {
      return only;
    }
    byte[] bytes = new byte[name.remaining()];
    name.get(bytes);
    return exports.get(new String(bytes, StandardCharsets.UTF_8));
  }

  /**
   * Fixed newstyle handshake; the export chosen when transmission begins, null when the client
   * aborted.
   */
  private BlockDevice negotiate(SocketChannel ch) throws IOException {
    writeFully(ch, ByteBuffer.allocate(18).putLong(NBDMAGIC).putLong(IHAVEOPT)
        .putShort((short) (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)).flip());
    int clientFlags = read(ch, 4).getInt();
    if ((clientFlags & ~CLIENT_FLAGS_KNOWN) != 0) {
      throw new IOException("NBD client sent unknown flags 0x" + Integer.toHexString(clientFlags));
    }
    boolean noZeroes = (clientFlags & FLAG_NO_ZEROES) != 0;
    while (true) {
      ByteBuffer head = read(ch, 16);
      if (head.getLong() != IHAVEOPT) {
        throw new IOException("NBD client sent an option without IHAVEOPT");
      }
      int option = head.getInt();
      int length = head.getInt();
      if (length < 0 || length > MAX_OPTION_LENGTH) {
        throw new IOException("NBD option " + option + " of " + length + " bytes");
      }
      ByteBuffer data = read(ch, length);
      switch (option) {
        case OPT_EXPORT_NAME:
          BlockDevice device = export(data);
          if (device == null) {
            return null; // this option has no error reply: the connection ends
          }
          ByteBuffer reply = ByteBuffer.allocate(10 + (noZeroes ? 0 : 124));
          reply.putLong(device.size()).putShort((short) (TRANSMIT_HAS_FLAGS | TRANSMIT_READ_ONLY));
          writeFully(ch, reply.position(reply.capacity()).flip());
          return device;
        case OPT_ABORT:
          reply(ch, option, REP_ACK, new byte[0]);
          return null;
        case OPT_LIST:
          for (String name : exports.keySet()) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            reply(ch, option, REP_SERVER,
                ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).array());
          }
          reply(ch, option, REP_ACK, new byte[0]);
          break;
        case OPT_INFO:
        case OPT_GO:
          if (length < 6 || data.getInt(0) < 0 || data.getInt(0) > length - 6) {
            reply(ch, option, REP_ERR_INVALID, "malformed request".getBytes(StandardCharsets.UTF_8));
            break;
          }
          BlockDevice chosen = export(data.slice(4, data.getInt(0)));
          if (chosen == null) {
            reply(ch, option, REP_ERR_UNKNOWN, "no such export".getBytes(StandardCharsets.UTF_8));
            break;
          }
          reply(ch, option, REP_INFO, ByteBuffer.allocate(12).putShort((short) INFO_EXPORT)
              .putLong(chosen.size()).putShort((short) (TRANSMIT_HAS_FLAGS | TRANSMIT_READ_ONLY))
              .array());
          reply(ch, option, REP_INFO, ByteBuffer.allocate(14).putShort((short) INFO_BLOCK_SIZE)
              .putInt(1).putInt(4096).putInt(MAX_READ).array());
          reply(ch, option, REP_ACK, new byte[0]);
          if (option == OPT_GO) {
            return chosen;
          }
          break;
        default:
          reply(ch, option, REP_ERR_UNSUP, new byte[0]);
      }
    }
  }

  private static void transmit(SocketChannel ch, BlockDevice device) throws IOException {
    long size = device.size();
    while (true) {
      ByteBuffer req = read(ch, 28);
      if (req.getInt() != REQUEST_MAGIC) {
        throw new IOException("NBD request without its magic");
      }
      req.getShort(); // command flags: none changes a read
      int type = req.getShort() & 0xFFFF;
      long handle = req.getLong();
      long offset = req.getLong();
      long length = req.getInt() & 0xFFFF_FFFFL;
      switch (type) {
        case CMD_READ:
          if (offset < 0 || length > MAX_READ || length > size - offset) {
            simpleReply(ch, handle, EINVAL);
            break;
          }
          ByteBuffer data = ByteBuffer.allocate((int) length);
          try {
            device.read(data, offset);
          } catch (IOException e) {
            System.err.println("carryon: NBD read of " + length + " bytes at " + offset
                + " failed: " + e.getMessage());
            simpleReply(ch, handle, EIO);
            break;
          }
          ByteBuffer head = ByteBuffer.allocate(16).putInt(SIMPLE_REPLY_MAGIC).putInt(0)
              .putLong(handle).flip();
          writeFully(ch, head);
          writeFully(ch, data.flip());
          break;
        case CMD_DISC:
          return;
        case CMD_FLUSH:
          simpleReply(ch, handle, 0); // nothing is ever written
          break;
        default:
          // Writes and anything else that would change the export: it is read-only.
          if (type == CMD_WRITE) {
            for (long left = length; left > 0; left -= Math.min(left, MAX_READ)) {
              read(ch, (int) Math.min(left, MAX_READ)); // the payload, discarded
            }
          }
          simpleReply(ch, handle, type == CMD_WRITE ? EPERM : EINVAL);
      }
    }
  }

  private static void reply(SocketChannel ch, int option, int type, byte[] data)
      throws IOException {
    writeFully(ch, ByteBuffer.allocate(20 + data.length).putLong(REPLY_MAGIC).putInt(option)
        .putInt(type).putInt(data.length).put(data).flip());
  }

  private static void simpleReply(SocketChannel ch, long handle, int error) throws IOException {
    writeFully(ch, ByteBuffer.allocate(16).putInt(SIMPLE_REPLY_MAGIC).putInt(error).putLong(handle)
        .flip());
  }

  private static ByteBuffer read(SocketChannel ch, int n) throws IOException {
    return readFully(ch, n, "NBD client");
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (clients) {
      for (SocketChannel c : clients) {
        c.close();
      }
      clients.clear();
    }
    Files.deleteIfExists(socket);
  }
}
