package dev.carryon.launcher.blocks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * An NBD server on a UNIX socket, fixed newstyle, simple replies, serving each carrier image of a
 * chain as its own read-only export named by the image's carrier name; QEMU's {@code nbd} block
 * driver reads them under its qcow2 nodes. Reads go through {@link VerifiedImage}, so a chunk
 * that fails its hash is an {@code EIO} reply for that read and never bytes. Writes are refused
 * ({@code EPERM}): the carrier is read-only to a running guest, which writes its local COW. One
 * thread per connection, requests answered in order.
 */
public final class NbdServer implements Closeable {
  /** The socket QEMU connects to. */
  private final Path socket;

  /** The exports, by name. */
  private final Map<String, VerifiedImage> exports;

  /** Accepts connections until closed. */
  private final ServerSocketChannel server;

  private NbdServer(Path socket, Map<String, VerifiedImage> exports, ServerSocketChannel server) {
    this.socket = socket;
    this.exports = exports;
    this.server = server;
  }

  /** Starts serving {@code images} (each exported by its carrier name) on {@code socket}. */
  public static NbdServer start(Path socket, Iterable<VerifiedImage> images) throws IOException {
    Map<String, VerifiedImage> exports = new TreeMap<>();
    for (VerifiedImage image : images) {
      exports.put(image.image(), image);
    }
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    NbdServer s = new NbdServer(socket, Map.copyOf(exports), server);
    Thread accept = new Thread(s::acceptLoop, "nbd-accept " + socket.getFileName());
    accept.setDaemon(true);
    accept.start();
    return s;
  }

  /** The socket QEMU connects to. */
  public Path socket() {
    return socket;
  }

  /** Stops accepting connections and removes the socket; open connections end with the process. */
  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        continue;
      }
      Thread t = new Thread(() -> serve(client), "nbd " + socket.getFileName());
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(SocketChannel client) {
    try (client) {
      DataInputStream in =
          new DataInputStream(new BufferedInputStream(Channels.newInputStream(client)));
      DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(client)));
      VerifiedImage export = handshake(in, out);
      if (export != null) {
        transmit(in, out, export);
      }
    } catch (IOException e) {
      // The client went away or broke the protocol: its connection ends, the server goes on.
    }
  }

  /** The option haggling; the export chosen, or null when the client aborted or failed. */
  private VerifiedImage handshake(DataInputStream in, DataOutputStream out) throws IOException {
    out.writeLong(Nbd.INIT_MAGIC);
    out.writeLong(Nbd.OPTION_MAGIC);
    out.writeShort(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES);
    out.flush();
    int clientFlags = in.readInt();
    boolean noZeroes = (clientFlags & Nbd.FLAG_NO_ZEROES) != 0;
    while (true) {
      if (in.readLong() != Nbd.OPTION_MAGIC) {
        return null;
      }
      int option = in.readInt();
      int length = in.readInt();
      if (length < 0 || length > Nbd.MAX_OPTION) {
        return null;
      }
      byte[] data = in.readNBytes(length);
      if (data.length != length) {
        throw new EOFException();
      }
      switch (option) {
        case Nbd.OPT_EXPORT_NAME -> {
          VerifiedImage export = exports.get(new String(data, StandardCharsets.UTF_8));
          if (export == null) {
            return null; // this option has no error reply: the connection is closed
          }
          out.writeLong(export.size());
          out.writeShort(Nbd.TRANSMISSION_FLAGS);
          if (!noZeroes) {
            out.write(new byte[124]);
          }
          out.flush();
          return export;
        }
        case Nbd.OPT_ABORT -> {
          reply(out, option, Nbd.REP_ACK, new byte[0]);
          return null;
        }
        case Nbd.OPT_LIST -> {
          for (String name : exports.keySet()) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            reply(out, option, Nbd.REP_SERVER, concat(intBytes(n.length), n));
          }
          reply(out, option, Nbd.REP_ACK, new byte[0]);
        }
        case Nbd.OPT_INFO, Nbd.OPT_GO -> {
          VerifiedImage export = infoOrGo(out, option, data);
          if (export != null && option == Nbd.OPT_GO) {
            return export;
          }
        }
        default -> reply(out, option, Nbd.REP_ERR_UNSUP, new byte[0]);
      }
    }
  }

  /** Answers NBD_OPT_INFO or NBD_OPT_GO; the export when it was found. */
  private VerifiedImage infoOrGo(DataOutputStream out, int option, byte[] data) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
    if (data.length < 6) {
      reply(out, option, Nbd.REP_ERR_INVALID, "option too short".getBytes(StandardCharsets.UTF_8));
      return null;
    }
    int nameLength = b.getInt();
    if (nameLength < 0 || nameLength > data.length - 6) {
      reply(out, option, Nbd.REP_ERR_INVALID, "bad name length".getBytes(StandardCharsets.UTF_8));
      return null;
    }
    byte[] name = new byte[nameLength];
    b.get(name);
    VerifiedImage export = exports.get(new String(name, StandardCharsets.UTF_8));
    if (export == null) {
      reply(
          out,
          option,
          Nbd.REP_ERR_UNKNOWN,
          ("no export " + new String(name, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
      return null;
    }
    java.nio.ByteBuffer info = java.nio.ByteBuffer.allocate(12);
    info.putShort((short) Nbd.INFO_EXPORT).putLong(export.size()).putShort((short) Nbd.TRANSMISSION_FLAGS);
    reply(out, option, Nbd.REP_INFO, info.array());
    java.nio.ByteBuffer sizes = java.nio.ByteBuffer.allocate(14);
    sizes
        .putShort((short) Nbd.INFO_BLOCK_SIZE)
        .putInt(1)
        .putInt(export.list().chunkSize())
        .putInt(Nbd.MAX_REQUEST);
    reply(out, option, Nbd.REP_INFO, sizes.array());
    reply(out, option, Nbd.REP_ACK, new byte[0]);
    return export;
  }

  /** Serves requests on {@code export} until the client disconnects. */
  private static void transmit(DataInputStream in, DataOutputStream out, VerifiedImage export)
      throws IOException {
    byte[] buf = new byte[0];
    while (true) {
      if (in.readInt() != Nbd.REQUEST_MAGIC) {
        return;
      }
      in.readShort(); // command flags: none changes a read
      int type = in.readUnsignedShort();
      long cookie = in.readLong();
      long offset = in.readLong();
      long length = Integer.toUnsignedLong(in.readInt());
      switch (type) {
        case Nbd.CMD_DISC -> {
          return;
        }
        case Nbd.CMD_READ -> {
          if (length > Nbd.MAX_REQUEST || offset < 0 || offset + length > export.size()) {
            simpleReply(out, Nbd.EINVAL, cookie, null, 0);
            continue;
          }
          if (buf.length < length) {
            buf = new byte[(int) length];
          }
          int error = 0;
          try {
            export.read(offset, buf, 0, (int) length);
          } catch (IOException e) {
            error = Nbd.EIO;
          }
          simpleReply(out, error, cookie, buf, error == 0 ? (int) length : 0);
        }
        case Nbd.CMD_WRITE -> {
          if (length > Nbd.MAX_REQUEST) {
            return;
          }
          in.skipNBytes(length);
          simpleReply(out, Nbd.EPERM, cookie, null, 0);
        }
        default -> simpleReply(out, Nbd.EINVAL, cookie, null, 0);
      }
    }
  }

  private static void simpleReply(
      DataOutputStream out, int error, long cookie, byte[] data, int length) throws IOException {
    out.writeInt(Nbd.SIMPLE_REPLY_MAGIC);
    out.writeInt(error);
    out.writeLong(cookie);
    if (length > 0) {
      out.write(data, 0, length);
    }
    out.flush();
  }

  private static void reply(DataOutputStream out, int option, int type, byte[] data)
      throws IOException {
    out.writeLong(Nbd.REPLY_MAGIC);
    out.writeInt(option);
    out.writeInt(type);
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  private static byte[] intBytes(int v) {
    return java.nio.ByteBuffer.allocate(4).putInt(v).array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
