package dev.carryon.launcher.host;

import dev.carryon.carrier.HostIdentity;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.cow.io.WritePoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * This host's memory, in one SQLite file: its own identity, the carriers it has seen and the
 * sessions it ran. The carrier's manifest is the truth about a carrier; the catalog only tells
 * this host where its own work files and processes are.
 */
public final class HostCatalog implements AutoCloseable {
  private static final int SCHEMA_VERSION = 1;

  /** The catalog file, for messages. */
  private final Path file;
  /** One connection, used from one thread at a time. */
  private final Connection db;

  private HostCatalog(Path file, Connection db) {
    this.file = file;
    this.db = db;
  }

  /** Opens the catalog of {@code home}, creating its schema on first use. */
  public static HostCatalog open(HostHome home) throws IOException {
    Path file = home.catalogFile();
    try {
      // SQLite gives its journal, WAL and shared-memory files the database file's mode.
      if (!Files.exists(file)) {
        OwnerOnly.createFile(file);
      }
      // The driver itself, not DriverManager: that would first load every JDBC driver it can find.
      Connection db = org.sqlite.JDBC.createConnection("jdbc:sqlite:" + file, new Properties());
      HostCatalog catalog = new HostCatalog(file, db);
      catalog.prepare();
      return catalog;
    } catch (SQLException e) {
      throw new IOException("host catalog " + file + ": cannot open: " + e.getMessage(), e);
    }
  }

  private void prepare() throws SQLException, IOException {
    try (Statement s = db.createStatement()) {
      // A session's record must survive a power cut as surely as its work files do.
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA busy_timeout=10000");
      int version;
      try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        version = rs.getInt(1);
      }
      if (version > SCHEMA_VERSION) {
        throw new IOException(
            "host catalog " + file + ": schema version " + version + " is newer than this carryon"
                + " understands (" + SCHEMA_VERSION + ")");
      }
      if (version == 0) {
        s.execute("CREATE TABLE host (id TEXT NOT NULL, name TEXT NOT NULL)");
        s.execute(
            "CREATE TABLE carriers (carrier_id TEXT PRIMARY KEY, path TEXT NOT NULL,"
                + " generation INTEGER NOT NULL, last_seen TEXT NOT NULL)");
        s.execute(
            "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, carrier_id TEXT NOT NULL,"
                + " carrier_path TEXT NOT NULL, work_dir TEXT NOT NULL, state TEXT NOT NULL,"
                + " from_generation INTEGER NOT NULL, qemu_pid INTEGER NOT NULL, qemu_dir TEXT,"
                + " accelerator TEXT, started_at TEXT NOT NULL, ended_at TEXT)");
        s.execute("PRAGMA user_version=" + SCHEMA_VERSION);
      }
    }
  }

  /** This host's id, made once and kept for the life of the catalog. */
  public String hostId() throws IOException {
    try (Statement s = db.createStatement();
        ResultSet rs = s.executeQuery("SELECT id FROM host")) {
      if (rs.next()) {
        return rs.getString(1);
      }
    } catch (SQLException e) {
      throw failure("read the host id", e);
    }
    String id = UUID.randomUUID().toString();
    update(
        "record the host id",
        "INSERT INTO host (id, name) VALUES (?, ?)",
        id,
        HostIdentity.localHostName());
    return id;
  }

  /**
   * Remembers where a carrier was last seen ({@code location}: its storage's location, a folder or
   * a URL; catalogs of older carryons hold folder paths, which read the same) and at which
   * generation.
   */
  public void recordCarrier(String carrierId, String location, long generation)
      throws IOException {
    update(
        "record carrier " + carrierId,
        "INSERT INTO carriers (carrier_id, path, generation, last_seen) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT(carrier_id) DO UPDATE SET path = excluded.path,"
            + " generation = excluded.generation, last_seen = excluded.last_seen",
        carrierId,
        location,
        generation,
        Instant.now().toString());
  }

  /** Inserts a new session or replaces the stored record of the same id. */
  public void saveSession(SessionRecord r) throws IOException {
    update(
        "save session " + r.sessionId(),
        "INSERT OR REPLACE INTO sessions (session_id, carrier_id, carrier_path, work_dir, state,"
            + " from_generation, qemu_pid, qemu_dir, accelerator, started_at, ended_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        r.sessionId(),
        r.carrierId(),
        r.carrier(),
        r.workDir().toString(),
        r.state().name(),
        r.fromGeneration(),
        r.qemuPid(),
        r.qemuDir() == null ? null : r.qemuDir().toString(),
        r.accelerator(),
        r.startedAt().toString(),
        r.endedAt() == null ? null : r.endedAt().toString());
  }

  public Optional<SessionRecord> session(String sessionId) throws IOException {
    List<SessionRecord> found =
        query("find session " + sessionId, "WHERE session_id = ?", sessionId);
    return found.stream().findFirst();
  }

  /** The session of this host on the given carrier that is not over yet, if any. */
  public Optional<SessionRecord> openSession(String carrierId) throws IOException {
    List<SessionRecord> found =
        query(
            "find the open session of carrier " + carrierId,
            "WHERE carrier_id = ? AND state IN ('STARTING', 'RUNNING', 'SAVED')"
                + " ORDER BY started_at DESC",
            carrierId);
    return found.stream().findFirst();
  }

  /** The session of this host on the given carrier that began last, open or over, if any. */
  public Optional<SessionRecord> lastSession(String carrierId) throws IOException {
    List<SessionRecord> found =
        query(
            "find the last session of carrier " + carrierId,
            "WHERE carrier_id = ? ORDER BY started_at DESC LIMIT 1",
            carrierId);
    return found.stream().findFirst();
  }

  /** Every session of this host, newest first. */
  public List<SessionRecord> sessions() throws IOException {
    return query("list sessions", "ORDER BY started_at DESC");
  }

  private List<SessionRecord> query(String what, String where, Object... args)
      throws IOException {
    String sql =
        "SELECT session_id, carrier_id, carrier_path, work_dir, state, from_generation, qemu_pid,"
            + " qemu_dir, accelerator, started_at, ended_at FROM sessions "
            + where;
    try (PreparedStatement ps = bind(db.prepareStatement(sql), args);
        ResultSet rs = ps.executeQuery()) {
      List<SessionRecord> out = new ArrayList<>();
      while (rs.next()) {
        String qemuDir = rs.getString(8);
        String ended = rs.getString(11);
        out.add(
            new SessionRecord(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                Path.of(rs.getString(4)),
                SessionState.valueOf(rs.getString(5)),
                rs.getLong(6),
                rs.getLong(7),
                qemuDir == null ? null : Path.of(qemuDir),
                rs.getString(9),
                Instant.parse(rs.getString(10)),
                ended == null ? null : Instant.parse(ended)));
      }
      return out;
    } catch (SQLException | IllegalArgumentException e) {
      throw failure(what, e);
    }
  }

  private void update(String what, String sql, Object... args) throws IOException {
    WritePoints.reach(file, what);
    try (PreparedStatement ps = bind(db.prepareStatement(sql), args)) {
      ps.executeUpdate();
    } catch (SQLException e) {
      throw failure(what, e);
    }
  }

  private static PreparedStatement bind(PreparedStatement ps, Object... args)
      throws SQLException {
    for (int i = 0; i < args.length; i++) {
      ps.setObject(i + 1, args[i]);
    }
    return ps;
  }

  private IOException failure(String what, Exception e) {
    return new IOException("host catalog " + file + ": cannot " + what + ": " + e.getMessage(), e);
  }

  @Override
  public void close() throws IOException {
    try {
      db.close();
    } catch (SQLException e) {
      throw failure("close", e);
    }
  }
}
