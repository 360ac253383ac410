package dev.carryon.sync.guestfs;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Constants of the NBD protocol's fixed newstyle negotiation and simple replies, as the NBD
 * project's doc/proto.md gives them, and the whole-message reads and writes both ends make. All
 * fields are big-endian.
 */
final class NbdProtocol {
  private NbdProtocol() {}

  /** Greeting: "NBDMAGIC" then "IHAVEOPT". */
  static final long NBDMAGIC = 0x4e42444d41474943L;
  static final long IHAVEOPT = 0x49484156454F5054L;
  /** Handshake flags: fixed newstyle, and no 124 zero bytes after NBD_OPT_EXPORT_NAME. */
  static final int FLAG_FIXED_NEWSTYLE = 1;
  static final int FLAG_NO_ZEROES = 2;
  /** Client flags the server understands. */
  static final int CLIENT_FLAGS_KNOWN = FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES;

  /** Options. */
  static final int OPT_EXPORT_NAME = 1;
  static final int OPT_ABORT = 2;
  static final int OPT_LIST = 3;
  static final int OPT_INFO = 6;
  static final int OPT_GO = 7;
  /** Longest option payload read: more is a broken client. */
  static final int MAX_OPTION_LENGTH = 4096;

  /** Option reply magic and types. */
  static final long REPLY_MAGIC = 0x3e889045565a9L;
  static final int REP_ACK = 1;
  static final int REP_SERVER = 2;
  static final int REP_INFO = 3;
  static final int REP_ERR_UNSUP = 0x80000001;
  /** NBD_REP_ERR_INVALID. */
  static final int REP_ERR_INVALID = 0x80000003;
  /** NBD_REP_ERR_UNKNOWN: no export of that name. */
  static final int REP_ERR_UNKNOWN = 0x80000006;
  /** Info types. */
  static final int INFO_EXPORT = 0;
  static final int INFO_BLOCK_SIZE = 3;

  /** Transmission flags: flags are meaningful; the export is read-only. */
  static final int TRANSMIT_HAS_FLAGS = 1;
  static final int TRANSMIT_READ_ONLY = 2;

  /** Requests and their simple replies. */
  static final int REQUEST_MAGIC = 0x25609513;
  static final int SIMPLE_REPLY_MAGIC = 0x67446698;
  static final int CMD_READ = 0;
  static final int CMD_WRITE = 1;
  static final int CMD_DISC = 2;
  static final int CMD_FLUSH = 3;
  /** Largest read served at once (QEMU asks for at most 32 MiB). */
  static final int MAX_READ = 32 << 20;

  /** Errors (errno values). */
  static final int EPERM = 1;
  static final int EIO = 5;
  static final int EINVAL = 22;

  /** The next {@code n} bytes of {@code ch}, flipped; {@code peer} names the other end if it closes. */
  static ByteBuffer readFully(SocketChannel ch, int n, String peer) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new EOFException(peer + " closed the connection");
      }
    }
    return b.flip();
  }

  /** Writes all of {@code b}. */
  static void writeFully(SocketChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
