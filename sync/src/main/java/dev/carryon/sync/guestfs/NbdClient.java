package dev.carryon.sync.guestfs;

import static dev.carryon.sync.guestfs.NbdProtocol.*;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A reader of one export of an NBD server on a UNIX socket, negotiated as QEMU's {@code nbd}
 * driver does (fixed newstyle, {@code NBD_OPT_GO}), one simple read at a time. It is {@link
 * NbdServer}'s other end: a session keeper reads its own server through it before QEMU comes, so
 * that QEMU's first connections find that code run once already.
 */
public final class NbdClient implements Closeable {
  /** The connection, in transmission once constructed. */
  private final SocketChannel ch;
  /** The server, for messages. */
  private final String where;
  /** The last request's handle. */
  private long handle;

  private NbdClient(SocketChannel ch, String where) {
    this.ch = ch;
    this.where = where;
  }

  /** Connects to {@code socket} and chooses the export {@code name}. */
  public static NbdClient connect(Path socket, String name) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    String where = "NBD server " + socket;
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer greeting = readFully(ch, 18, where);
      if (greeting.getLong() != NBDMAGIC || greeting.getLong() != IHAVEOPT
          || (greeting.getShort() & FLAG_FIXED_NEWSTYLE) == 0) {
        throw new IOException(where + " does not speak fixed newstyle NBD");
      }
      writeFully(ch, ByteBuffer.allocate(4).putInt(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES).flip());
      byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
      // NBD_OPT_GO: the name, then no information requests.
      writeFully(ch, ByteBuffer.allocate(16 + 4 + bytes.length + 2).putLong(IHAVEOPT).putInt(OPT_GO)
          .putInt(4 + bytes.length + 2).putInt(bytes.length).put(bytes).putShort((short) 0).flip());
      while (true) {
        ByteBuffer head = readFully(ch, 20, where);
        if (head.getLong() != REPLY_MAGIC || head.getInt() != OPT_GO) {
          throw new IOException(where + " answered NBD_OPT_GO with something else");
        }
        int type = head.getInt();
        int length = head.getInt();
        if (length < 0 || length > MAX_OPTION_LENGTH) {
          throw new IOException(where + " sent an option reply of " + length + " bytes");
        }
        ByteBuffer data = readFully(ch, length, where);
        if (type == REP_ACK) {
          return new NbdClient(ch, where);
        }
        if (type < 0) { // the error replies have the high bit set
          throw new IOException(where + " refused export \"" + name + "\": "
              + StandardCharsets.UTF_8.decode(data));
        }
      }
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** {@code length} bytes at {@code offset} of the export. */
  public ByteBuffer read(long offset, int length) throws IOException {
    long h = ++handle;
    request(CMD_READ, h, offset, length);
    ByteBuffer reply = readFully(ch, 16, where);
    if (reply.getInt() != SIMPLE_REPLY_MAGIC) {
      throw new IOException(where + " sent a reply without its magic");
    }
    int error = reply.getInt();
    if (reply.getLong() != h) {
      throw new IOException(where + " answered another request than read " + h);
    }
    if (error != 0) {
      throw new IOException(where + " failed a read of " + length + " bytes at " + offset
          + " (error " + error + ")");
    }
    return readFully(ch, length, where);
  }

  /** Says goodbye (NBD_CMD_DISC) and closes the connection. */
  @Override
  public void close() throws IOException {
    try (ch) {
      request(CMD_DISC, ++handle, 0, 0);
    }
  }

  private void request(int type, long h, long offset, int length) throws IOException {
    writeFully(ch, ByteBuffer.allocate(28).putInt(REQUEST_MAGIC).putShort((short) 0)
        .putShort((short) type).putLong(h).putLong(offset).putInt(length).flip());
  }
}
