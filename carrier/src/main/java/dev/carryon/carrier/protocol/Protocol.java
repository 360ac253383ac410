package dev.carryon.carrier.protocol;

/**
 * The carrier protocol's constants, version {@value #VERSION}, as {@code carrier/PROTOCOL.md}
 * writes them down: paths, headers, limits. Server and client both take them from here.
 */
public final class Protocol {
  /** The protocol version this code speaks. */
  public static final int VERSION = 1;

  /** Every path of the API under a carrier's prefix starts with this. */
  public static final String API = "api/v1/";

  /** {@code GET}: the server's and the carrier's description. */
  public static final String INFO = API + "info";

  /** {@code GET}, {@code PUT}: the manifest, the commit point. */
  public static final String MANIFEST = API + "manifest";

  /** {@code GET ?dir=}: a listing; {@code FILES/NAME}: one file. */
  public static final String FILES = API + "files";

  /** {@code POST}: one operation, a JSON object. */
  public static final String OPS = API + "ops";

  /** {@code POST}: take the write lock; {@code LOCK/ID}: renew ({@code PUT}), release ({@code DELETE}). */
  public static final String LOCK = API + "lock";

  /** The bearer token: {@code Authorization: Bearer TOKEN}. */
  public static final String AUTHORIZATION = "Authorization";

  /** Prefix of the {@link #AUTHORIZATION} value. */
  public static final String BEARER = "Bearer ";

  /** The version a client speaks, and the server answers with. */
  public static final String PROTOCOL_HEADER = "Carryon-Protocol";

  /** The id of the write lock a changing request holds. */
  public static final String LOCK_HEADER = "Carryon-Lock";

  /** The browser page's token as a query parameter (then exchanged for {@link #TOKEN_COOKIE}). */
  public static final String TOKEN_QUERY = "token";

  /** The browser page's token as a cookie. */
  public static final String TOKEN_COOKIE = "carryon_token";

  /** Largest manifest a server accepts. */
  public static final int MAX_MANIFEST = 16 << 20;

  /**
   * Largest body of one {@code PUT files/NAME}: a longer write is several requests. The server
   * holds one body whole before writing it, so a refused or cut body writes nothing.
   */
  public static final int MAX_WRITE = 4 << 20;

  /** Largest body of a lock or ops request (a small JSON object). */
  public static final int MAX_SMALL_BODY = 64 << 10;

  /** Largest file offset or size a request may name (ext4's largest file, 16 TiB). */
  public static final long MAX_FILE_SIZE = 1L << 44;

  /** Shortest lock time a client may ask for, in seconds. */
  public static final int MIN_LOCK_SECONDS = 5;

  /** Longest lock time a client may ask for, in seconds. */
  public static final int MAX_LOCK_SECONDS = 300;

  /** Lock time clients ask for; they renew every third of it. */
  public static final int DEFAULT_LOCK_SECONDS = 60;

  /** Longest owner text kept for a lock (longer ones are cut). */
  public static final int MAX_OWNER = 200;

  /** Longest name of a carrier served at {@code /NAME/}. */
  public static final int MAX_CARRIER_NAME = 64;

  /** Optional operation: {@code hash}. */
  public static final String FEATURE_HASH = "hash";

  /** Optional operation: {@code merge}. */
  public static final String FEATURE_MERGE = "merge";

  /** Optional operation: {@code link}. */
  public static final String FEATURE_LINK = "link";

  /** Optional: {@code POST lock} takes {@code "reclaim"}, a dead holder's lock id, over at once. */
  public static final String FEATURE_RECLAIM = "reclaim";

  /** Optional: {@code GET files?dirs=A,B} lists several folders in one answer. */
  public static final String FEATURE_LISTS = "lists";

  /**
   * Optional: {@code PUT files/NAME?...&ordered=1} is written only once NAME is exactly as long as
   * the write's offset, waiting up to {@link #ORDERED_WAIT_SECONDS} for the writes before it; so a
   * client may send the next piece of a file before the one before it is answered, and a cut
   * series still leaves a prefix.
   */
  public static final String FEATURE_ORDERED = "ordered";

  /** How long an ordered write waits for its file to reach its offset before it is refused. */
  public static final int ORDERED_WAIT_SECONDS = 10;

  /** Most folders one {@code GET files?dirs=} lists. */
  public static final int MAX_LISTED_FOLDERS = 16;

  private Protocol() {}
}
