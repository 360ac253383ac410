package dev.carryon.launcher.blocks;

/**
 * Constants of the NBD protocol (NetworkBlockDevice/nbd {@code doc/proto.md}), the parts a
 * read-only fixed-newstyle server with simple replies uses. All numbers are big-endian on the wire.
 */
final class Nbd {
  /** "NBDMAGIC": the server's first 8 bytes. */
  static final long INIT_MAGIC = 0x4e42444d41474943L;

  /** "IHAVEOPT": starts every option the client sends, and the server's greeting. */
  static final long OPTION_MAGIC = 0x49484156454f5054L;

  /** Starts every option reply. */
  static final long REPLY_MAGIC = 0x3e889045565a9L;

  /** Handshake flag: fixed newstyle. */
  static final int FLAG_FIXED_NEWSTYLE = 1;

  /** Handshake flag: no 124 zero bytes after NBD_OPT_EXPORT_NAME. */
  static final int FLAG_NO_ZEROES = 2;

  static final int OPT_EXPORT_NAME = 1;
  static final int OPT_ABORT = 2;
  static final int OPT_LIST = 3;
  static final int OPT_INFO = 6;
  static final int OPT_GO = 7;

  static final int REP_ACK = 1;
  static final int REP_SERVER = 2;
  static final int REP_INFO = 3;
  static final int REP_ERR_UNSUP = 0x80000001;
  static final int REP_ERR_INVALID = 0x80000003;
  static final int REP_ERR_UNKNOWN = 0x80000006;

  static final int INFO_EXPORT = 0;
  static final int INFO_BLOCK_SIZE = 3;

  /** Transmission flags: flags are valid; read-only; several connections see the same data. */
  static final int TRANSMISSION_FLAGS = 1 | 2 | (1 << 8);

  static final int REQUEST_MAGIC = 0x25609513;
  static final int SIMPLE_REPLY_MAGIC = 0x67446698;

  static final int CMD_READ = 0;
  static final int CMD_WRITE = 1;
  static final int CMD_DISC = 2;

  static final int EPERM = 1;
  static final int EIO = 5;
  static final int EINVAL = 22;

  /** Largest option payload accepted (names are at most 4096 bytes). */
  static final int MAX_OPTION = 16 << 10;

  /** Largest read served in one request, as the block size info announces. */
  static final int MAX_REQUEST = 32 << 20;

  private Nbd() {}
}
