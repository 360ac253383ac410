package dev.carryon.launcher.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierKeys;
import dev.carryon.carrier.client.ClientThreads;
import dev.carryon.carrier.keys.SealedChunks;
import dev.carryon.carrier.ChunkList;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.blocks.ChunkStore;
import dev.carryon.launcher.blocks.Hoard;
import dev.carryon.launcher.blocks.ImageReader;
import dev.carryon.launcher.blocks.VerifiedImage;
import dev.carryon.launcher.host.Pins;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.qemu.Spawner;
import dev.carryon.sync.ext4.BlockDevice;
import dev.carryon.sync.guestfs.NbdServer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The session keeper: a {@code carryon} process of its own, in a session of its own ({@code
 * setsid}: neither a closed terminal nor the end of {@code resume --detach} stops it), that serves
 * one session's carrier chain to its QEMU through the block server and, once the guest runs, hoards
 * the rest of the chain onto this host. {@code resume} starts it before QEMU; {@code end} stops it
 * once QEMU has exited and the layer is committed. It lives exactly as long as what reads the
 * disk, and one session's carrier trouble (a pulled drive, a dead server) stays its own.
 *
 * <p>Its files, all in the session's work folder: {@value #SPEC} (written by resume: the chunk
 * store and the chain, each image with the hash of its chunk list as the trusted manifest names
 * it, so the keeper needs neither the manifest nor an encrypted carrier's passphrase), {@value
 * #PID} (written once it serves), {@value #STATUS} (the hoard's progress, any chunk that failed
 * its hash, and the bytes QEMU asked for and read from the carrier, rewritten every half second),
 * {@value #LOG}; its NBD socket lies in a temporary folder of its own, named in {@value #SPEC}.
 * On an encrypted carrier it also holds the master key resume unlocked, for end ({@link
 * KeyHolder}, its socket beside the NBD one).
 */
public final class SessionKeeper {
  /** What the keeper serves, written by resume. */
  static final String SPEC = "keeper.json";

  /**
   * The carrier's CLI arguments, written by a resume that took a keeper started ahead, as soon as
   * it begins: the keeper opens the carrier meanwhile (over a link its first requests take a
   * cold client 0.1 s and more), not only once {@value #SPEC} says what to serve.
   */
  static final String CARRIER_AHEAD = "keeper-carrier.json";

  /**
   * The folder of the chain's chunk lists as resume read and checked them, by their SHA-256: the
   * keeper, which trusts the work folder as it trusts {@value #SPEC}, neither reads them from the
   * carrier again nor hashes them (for an 8 GiB base, 4 MiB it would wait for before serving).
   */
  static final String LISTS = "lists";

  /** A chunk list's name in {@value #LISTS}: its SHA-256. */
  private static final Pattern LIST_NAME = Pattern.compile("[0-9a-f]{64}");
  /** The keeper's pid, written once it serves. */
  static final String PID = "keeper.pid";
  /** The block server's UNIX socket. */
  static final String SOCKET = "blocks.sock";
  /** The keeper's progress and problems. */
  static final String STATUS = "keeper-status.json";
  /** The keeper's output. */
  static final String LOG = "keeper.log";
  /** The environment variable that names, to the keeper, the pid of the resume that started it. */
  private static final String RESUME_PID = "CARRYON_RESUME_PID";
  /** Made by resume once the guest runs: the keeper starts hoarding then. */
  static final String GUEST_RUNS = "guest-runs";
  /** Longest a keeper may take to serve (a JVM's start on a loaded machine). */
  private static final Duration START = Duration.ofSeconds(60);
  /** Longest a keeper may take to stop once told. */
  private static final Duration STOP = Duration.ofSeconds(10);
  /** How often the keeper looks for the guest and writes its status. */
  private static final long TICK_MILLIS = 500;
  /** How often a keeper started early looks for {@value #SPEC}: the guest waits for it. */
  private static final long SPEC_POLL_MILLIS = 5;
  /** Chunk problems kept in the status (the first ones). */
  private static final int MAX_PROBLEMS = 20;

  /**
   * Jackson's mapper, made on first use: the keeper's launch, first on resume's path, needs none,
   * and making one loads some 400 classes (0.1 s of the launch, measured).
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  /**
   * One image the keeper serves.
   *
   * @param image its carrier name (the NBD export's name)
   * @param list the SHA-256 of its chunk list, as the manifest records it
   * @param chunks that list, read and checked by resume (handed over in {@value #LISTS})
   */
  record Served(String image, String list, ChunkList chunks) {}

  /**
   * A keeper as {@code status} sees it.
   *
   * @param pid its pid, or -1 when it never wrote one
   * @param alive true while it runs
   * @param hoard how far the hoard is, or null before it started
   * @param problems chunks that failed their hash, in words
   */
  public record Seen(long pid, boolean alive, Hoard.Progress hoard, List<String> problems) {}

  private SessionKeeper() {}

  /**
   * A keeper process started before it knows what to serve: its JVM starts while resume checks
   * the carrier and takes the lease, and it waits for {@value #SPEC} (see {@link #serve(Launched,
   * Path, long, List)}).
   *
   * @param workDir the session's work folder
   * @param process the keeper's process (not this JVM's child: see {@link Spawner#startDetached})
   * @param log the keeper's output
   */
  record Launched(Path workDir, ProcessHandle process, Path log) {}

  /**
   * Starts the keeper of the session in {@code workDir} (made if absent) for the carrier the CLI
   * arguments {@code carrierArgs} open (CARRIER first, then its options; none: the carrier {@link
   * #SPEC} will name, for a keeper started ahead of its resume, see {@link StandbyKeeper}). It
   * serves nothing until {@link #serve(Launched, List, Path, long, List)} says what; until then it
   * only starts its JVM (and opens the carrier it was given).
   */
  static Launched launch(Path workDir, List<String> carrierArgs) throws IOException {
    OwnerOnly.createDirectories(workDir);
    List<String> args = new ArrayList<>(List.of("keeper", workDir.toString()));
    if (!carrierArgs.isEmpty()) {
      args.add("--");
      args.addAll(carrierArgs);
    }
    Path log = workDir.resolve(LOG);
    // A small heap: the keeper holds a few 64 KiB chunks at a time. Its parent is not this JVM: it
    // is told which process the resume is.
    ProcessHandle keeper = CarryonJvm.startDetached(List.of("-XX:+UseSerialGC", "-Xmx128m"), args, log,
        Map.of(RESUME_PID, Long.toString(ProcessHandle.current().pid())));
    return new Launched(workDir, keeper, log);
  }

  /**
   * Tells the keeper {@code k} to serve {@code chain} (base first) of the carrier {@code
   * carrierArgs} open, its chunks kept in {@code chunks}, a store kept to {@code chunksLimit} bytes
   * but for the chunks of running sessions; returns once it serves on {@link #socket}. Fails, with
   * the keeper's last words, if it does not.
   */
  static void serve(Launched k, List<String> carrierArgs, Path chunks, long chunksLimit, List<Served> chain)
      throws IOException {
    ObjectNode spec = carrierSpec(carrierArgs);
    spec.put("chunks", chunks.toString());
    spec.put("chunks_limit", chunksLimit);
    // A UNIX socket's path must fit in 108 bytes: a session's work folder may be too deep.
    Path socketDir =
        OwnerOnly.createTempDirectory("carryon-blocks-");
    spec.put("socket", socketDir.resolve(SOCKET).toString());
    ArrayNode images = spec.putArray("images");
    Path lists = OwnerOnly.createDirectories(k.workDir().resolve(LISTS));
    for (Served s : chain) {
      images.addObject().put("image", s.image()).put("list", s.list());
      // Not forced: a keeper that finds no list reads it from the carrier.
      writeAtomically(lists.resolve(s.list()), s.chunks().encode());
    }
    writeAtomically(k.workDir().resolve(SPEC), Json.MAPPER.writeValueAsBytes(spec));
    long deadline = System.nanoTime() + START.toNanos();
    while (pid(k.workDir()) < 0 || !Files.exists(socketDir.resolve(SOCKET))) {
      if (Spawner.waitFor(k.process(), Duration.ZERO)) {
        throw new IOException(
            "the session keeper (the block server of this session) exited before it served: "
                + lastWords(k.log()));
      }
      if (System.nanoTime() - deadline > 0) {
        k.process().destroyForcibly();
        throw new IOException(
            "the session keeper did not serve within " + START.toSeconds() + " s: "
                + lastWords(k.log()));
      }
      pause(5);
    }
  }

  /** Stops a keeper {@link #launch}ed for a resume that goes no further. */
  static void cancel(Launched k) {
    stop(k.process());
  }

  /**
   * The block server's socket of the session in {@code workDir}, in a folder of its own under the
   * temporary folder (named in {@value #SPEC}); null when there is none.
   */
  static Path socket(Path workDir) {
    try {
      String socket = Json.MAPPER.readTree(workDir.resolve(SPEC).toFile()).path("socket").asText("");
      return socket.isEmpty() ? null : Path.of(socket);
    } catch (IOException e) {
      return null;
    }
  }

  /** Tells the keeper of {@code workDir} that the guest runs: it starts hoarding. */
  static void guestRuns(Path workDir) throws IOException {
    writeAtomically(workDir.resolve(GUEST_RUNS), new byte[0]);
  }

  /** The keeper of the session in {@code workDir} as it is now, or empty when it has none. */
  public static Optional<Seen> seen(Path workDir) {
    if (!Files.exists(workDir.resolve(SPEC))) {
      return Optional.empty();
    }
    long pid = pid(workDir);
    boolean alive = pid > 0 && isKeeper(pid, workDir);
    Hoard.Progress hoard = null;
    List<String> problems = List.of();
    try {
      JsonNode status = Json.MAPPER.readTree(workDir.resolve(STATUS).toFile());
      if (status.has("remaining")) {
        hoard =
            new Hoard.Progress(
                status.path("remaining").asLong(), status.path("total").asLong(),
                status.path("unpluggable").asBoolean());
      }
      List<String> seenProblems = new ArrayList<>();
      status.path("problems").forEach(n -> seenProblems.add(n.asText()));
      problems = seenProblems;
    } catch (IOException e) {
      // No status yet (or one being replaced): nothing to tell.
    }
    return Optional.of(new Seen(pid, alive, hoard, problems));
  }

  /**
   * Tells the keeper of {@code workDir}, if it runs, to stop (SIGTERM) without waiting for it: its
   * hoard may be in the middle of a fetch, which its stop waits for (0.3 s seen over a 30 MB/s
   * link), so {@code end} starts the stop as soon as QEMU is gone and waits for it ({@link #stop})
   * after the commit.
   */
  static void beginStop(Path workDir) {
    long pid = pid(workDir);
    if (pid > 0 && isKeeper(pid, workDir)) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }
  }

  /**
   * Stops the keeper of {@code workDir}, if it runs: SIGTERM, then SIGKILL after {@link #STOP}.
   * Only a process whose command line names this work folder is signalled (a pid may be reused).
   */
  static void stop(Path workDir) {
    long pid = pid(workDir);
    if (pid > 0 && isKeeper(pid, workDir)) {
      ProcessHandle.of(pid).ifPresent(SessionKeeper::stop);
    }
    Path socket = socket(workDir);
    if (socket != null) {
      try {
        deleteSockets(socket);
      } catch (IOException e) {
        // A temporary folder left behind: harmless.
      }
    }
  }

  /** Deletes the block server's socket {@code socket}, the key socket beside it, and their folder. */
  private static void deleteSockets(Path socket) throws IOException {
    Files.deleteIfExists(socket);
    Files.deleteIfExists(socket.resolveSibling(KeyHolder.SOCKET));
    Files.deleteIfExists(socket.getParent());
  }

  /**
   * Hands the keeper of {@code workDir} the master key this process unlocked for the encrypted
   * carrier in {@code storage}, so that end opens it without the passphrase; nothing for a plain
   * carrier. A keeper that cannot take it only costs end the passphrase: a warning.
   */
  static void lendKey(Path workDir, CarrierStorage storage, PrintWriter log) {
    try {
      Optional<CarrierKeys.Unlocked> key = CarrierKeys.unlocked(storage);
      Path socket = socket(workDir);
      if (key.isPresent() && socket != null) {
        KeyHolder.give(socket.resolveSibling(KeyHolder.SOCKET), key.get());
      }
    } catch (IOException e) {
      log.println("warning: the session keeper could not take the carrier's key (" + e.getMessage()
          + "); end will ask for the passphrase");
    }
  }

  /**
   * Takes the master key from the keeper of this host's open session on the carrier at {@code
   * where}, if one runs and holds it: this process then opens the carrier without its passphrase.
   * A keeper that is gone, or that does not answer, leaves the passphrase to be asked as always.
   */
  static void borrowKey(List<SessionRecord> sessions, String where, PrintWriter log) {
    for (SessionRecord r : sessions) {
      Path socket = r.state().isOpen() && r.carrier().equals(where) ? socket(r.workDir()) : null;
      if (socket != null) {
        try {
          Optional<CarrierKeys.Unlocked> key = KeyHolder.take(socket.resolveSibling(KeyHolder.SOCKET));
          key.ifPresent(CarrierKeys::accept);
          if (key.isPresent()) {
            SealedChunks.prepare(); // the end seals the state next: its cipher loads meanwhile
          }
        } catch (IOException e) {
          log.println("warning: the session keeper did not give the carrier's key ("
              + e.getMessage() + "); asking for the passphrase");
        }
      }
    }
  }

  /**
   * Stops {@code h}: SIGTERM, then SIGKILL after {@link #STOP}. The keeper is not this JVM's child
   * (resume started it under setsid and may be gone): its exit is polled, since the JDK takes an
   * exited process its new parent has not reaped yet for alive (init in a container was seen to
   * take 1.1-1.6 s to reap one, which every end waited for).
   */
  private static void stop(ProcessHandle h) {
    h.destroy();
    if (!Spawner.waitFor(h, STOP)) {
      h.destroyForcibly();
    }
  }

  /** Opens the carrier a keeper serves, from the CLI arguments that name it. */
  public interface CarrierOpener {
    /** The storage of the carrier {@code carrierArgs} name (CARRIER first, then its options). */
    CarrierStorage open(List<String> carrierArgs) throws IOException;
  }

  /** Compiles SHA-256, then runs the serving path once, before QEMU's first reads. */
  private static void warmUp() {
    ChunkStore.warmUp();
    try {
      ServingWarmUp.run();
    } catch (IOException | RuntimeException e) {
      // Only slower: QEMU's first reads run that code first.
      System.out.println("carryon keeper: the block server's warm-up failed: " + e);
    }
  }

  /**
   * The keeper's own work, in its process: serves the chain {@value #SPEC} names, from the carrier
   * {@code opener} opens with the arguments it names, on {@link #socket}, hoards once the guest
   * runs, writes its status; returns when the process is told to stop (its shutdown hook closes
   * the server and the hoard) or the work folder is gone (the process then exits, which runs the
   * same hook).
   */
  public static void serve(Path workDir, CarrierOpener opener)
      throws IOException, InterruptedException {
    // Jackson and the UNIX sockets made ready while resume still checks the carrier: the guest
    // waits for what follows the spec, not for this (the block server's first socket took 53 ms
    // in a keeper started ahead, 9-15 ms once a socket had been opened before).
    Json.MAPPER.readTree("{}");
    ServerSocketChannel.open(StandardProtocolFamily.UNIX).close();
    // On a thread of its own: the spec may come first, and must not wait for it.
    Thread warm = new Thread(SessionKeeper::warmUp, "keeper warm-up");
    warm.setDaemon(true);
    warm.start();
    if (!awaitSpec(workDir, opener)) {
      return;
    }
    JsonNode spec = Json.MAPPER.readTree(workDir.resolve(SPEC).toFile());
    List<String> carrierArgs = carrierArgs(spec);
    if (carrierArgs.isEmpty()) {
      throw new IOException(workDir.resolve(SPEC) + ": names no carrier");
    }
    CarrierStorage storage = opener.open(carrierArgs);
    long limit = spec.path("chunks_limit").asLong(-1);
    if (limit <= 0) {
      throw new IOException(workDir.resolve(SPEC) + ": chunks_limit " + spec.path("chunks_limit") + " is not a size");
    }
    ChunkStore store = ChunkStore.in(Path.of(spec.path("chunks").asText()), limit);
    List<String> problems = Collections.synchronizedList(new ArrayList<>());
    Counts counts = new Counts();
    ImageReader fromCarrier =
        (image, offset, dst) -> {
          int n = storage.read(image, offset, dst);
          counts.carrier.addAndGet(Math.max(0, n));
          return n;
        };
    List<VerifiedImage> chain = new ArrayList<>();
    for (JsonNode s : spec.path("images")) {
      String image = s.path("image").asText();
      ChunkList list = handedList(workDir, s.path("list").asText(), storage);
      chain.add(
          new VerifiedImage(
              image, Carrier.describe(storage, image), list, fromCarrier, store,
              problem -> {
                System.out.println("carryon keeper: " + problem);
                if (problems.size() < MAX_PROBLEMS) {
                  problems.add(problem);
                }
              }));
    }
    // Before QEMU reads anything: no other session's keeper evicts this chain's chunks.
    Pins.Pin pin =
        store.pin(
            workDir.getFileName().toString(),
            chain.stream().map(VerifiedImage::list).toList());
    Path socket = Path.of(spec.path("socket").asText());
    Files.deleteIfExists(socket);
    // Each image under its carrier name, counting what QEMU asks for.
    Map<String, BlockDevice> exports = new TreeMap<>();
    for (VerifiedImage image : chain) {
      exports.put(
          image.image(),
          BlockDevice.of(
              image.size(),
              (dst, offset) -> {
                counts.asked.addAndGet(dst.remaining());
                image.read(dst, offset);
              }));
    }
    NbdServer server = NbdServer.start(exports, socket);
    KeyHolder key = KeyHolder.listen(socket.resolveSibling(KeyHolder.SOCKET));
    Hoard[] hoard = {null};
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      main.interrupt();
      try {
        synchronized (hoard) {
          if (hoard[0] != null) {
            hoard[0].close();
          }
        }
        server.close();
        key.close();
        pin.close();
        // Its temporary folder too: a keeper stopped by SIGTERM, by end or anyone, leaves none.
        deleteSockets(socket);
        // Nothing reads the carrier any more; end waits for this process's exit.
        ClientThreads.endOfProcess();
      } catch (IOException | InterruptedException e) {
        // Stopping anyway.
      }
    }, "keeper-stop"));
    writeAtomically(
        workDir.resolve(PID),
        Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII));
    System.out.println("carryon keeper: serving " + chain.size() + " images on " + socket);
    try {
      // A session whose work folder is gone has ended (or was cleaned up by hand): nothing reads
      // the disk any more.
      while (Files.isDirectory(workDir)) {
        synchronized (hoard) {
          if (hoard[0] == null && Files.exists(workDir.resolve(GUEST_RUNS))) {
            counts.beforeGuestRuns = new long[] {counts.asked.get(), counts.carrier.get()};
            store.keepToLimit();
            hoard[0] = Hoard.start(chain);
          }
        }
        writeStatus(workDir, hoard[0], problems, counts);
        Thread.sleep(TICK_MILLIS);
      }
    } catch (InterruptedException stop) {
      // Told to stop: the shutdown hook closes the server and the hoard.
      return;
    }
    System.out.println("carryon keeper: the session's work folder " + workDir + " is gone; stopping");
  }

  /**
   * Waits, in the keeper, for what to serve: resume writes {@value #SPEC} once it has checked the
   * carrier and taken the lease (the keeper's JVM starts meanwhile). False when there will be none:
   * the work folder is gone (the resume failed and cleaned up) or the resume that started this
   * keeper exited without writing it.
   */
  private static boolean awaitSpec(Path workDir, CarrierOpener opener) throws InterruptedException {
    Optional<ProcessHandle> resume = resumeThatStarted();
    boolean openedAhead = false;
    while (!Files.exists(workDir.resolve(SPEC))) {
      if (!openedAhead && Files.exists(workDir.resolve(CARRIER_AHEAD))) {
        openedAhead = true;
        openAhead(workDir, opener);
        continue;
      }
      if (!Files.isDirectory(workDir) || resume.isEmpty() || !resume.get().isAlive()) {
        System.out.println(
            "carryon keeper: the resume that started it is over and said nothing to serve;"
                + " stopping");
        return false;
      }
      Thread.sleep(SPEC_POLL_MILLIS);
    }
    return true;
  }

  /**
   * Opens the carrier {@value #CARRIER_AHEAD} names, ahead of the spec; a failure is left for the
   * spec's own open to meet and report.
   */
  private static void openAhead(Path workDir, CarrierOpener opener) {
    try {
      List<String> args = carrierArgs(Json.MAPPER.readTree(workDir.resolve(CARRIER_AHEAD).toFile()));
      if (!args.isEmpty()) {
        opener.open(args);
      }
    } catch (IOException | RuntimeException e) {
      System.out.println("carryon keeper: could not open the carrier ahead: " + e.getMessage());
    }
  }

  /**
   * Tells the keeper started ahead {@code k} the carrier its resume is for, so it opens it while
   * the resume checks it ({@value #CARRIER_AHEAD}).
   */
  static void carrierAhead(Launched k, List<String> carrierArgs) throws IOException {
    writeAtomically(
        k.workDir().resolve(CARRIER_AHEAD), Json.MAPPER.writeValueAsBytes(carrierSpec(carrierArgs)));
  }

  /** A spec naming the carrier {@code carrierArgs} open, as {@value #SPEC} and {@value #CARRIER_AHEAD} do. */
  private static ObjectNode carrierSpec(List<String> carrierArgs) {
    ObjectNode spec = Json.MAPPER.createObjectNode();
    carrierArgs.forEach(spec.putArray("carrier")::add);
    return spec;
  }

  /** The carrier's arguments {@code spec} names ({@link #carrierSpec}); none when it names none. */
  private static List<String> carrierArgs(JsonNode spec) {
    List<String> args = new ArrayList<>();
    spec.path("carrier").forEach(a -> args.add(a.asText()));
    return args;
  }

  /** The resume that started this keeper, if it still runs ({@value #RESUME_PID}). */
  private static Optional<ProcessHandle> resumeThatStarted() {
    String pid = System.getenv(RESUME_PID);
    return pid != null && pid.matches("[1-9][0-9]{0,9}")
        ? ProcessHandle.of(Long.parseLong(pid))
        : Optional.empty();
  }

  /**
   * Chunk list {@code sha256}: the copy resume handed over in {@value #LISTS}, else read from the
   * carrier and checked against the hash.
   */
  private static ChunkList handedList(Path workDir, String sha256, CarrierStorage storage)
      throws IOException {
    if (LIST_NAME.matcher(sha256).matches()) {
      Path handed = workDir.resolve(LISTS).resolve(sha256);
      if (Files.isRegularFile(handed)) {
        return ChunkList.parse(Files.readAllBytes(handed), handed.toString());
      }
    }
    return Carrier.chunkList(storage, sha256);
  }

  /** Bytes the keeper has moved, for {@code status} and {@code bench/scale}. */
  private static final class Counts {
    /** Bytes QEMU asked the block server for. */
    final AtomicLong asked = new AtomicLong();
    /** Bytes read from the carrier (whole chunks, each at most once while it stays here). */
    final AtomicLong carrier = new AtomicLong();
    /** {asked, carrier} as the guest started to run (the hoard starts then), or null before. */
    volatile long[] beforeGuestRuns;
  }

  /** Writes the keeper's status file. */
  private static void writeStatus(Path workDir, Hoard hoard, List<String> problems, Counts counts)
      throws IOException {
    ObjectNode status = Json.MAPPER.createObjectNode();
    status.put("asked_bytes", counts.asked.get()).put("carrier_bytes", counts.carrier.get());
    long[] before = counts.beforeGuestRuns;
    if (before != null) {
      status.put("asked_bytes_before_guest_runs", before[0]);
      status.put("carrier_bytes_before_guest_runs", before[1]);
    }
    if (hoard != null) {
      Hoard.Progress p = hoard.progress();
      status.put("remaining", p.remaining()).put("total", p.total()).put("unpluggable", p.unpluggable());
    }
    ArrayNode list = status.putArray("problems");
    synchronized (problems) {
      problems.forEach(list::add);
    }
    writeAtomically(workDir.resolve(STATUS), Json.MAPPER.writeValueAsBytes(status));
  }

  /** The pid the keeper of {@code workDir} wrote, or -1. */
  private static long pid(Path workDir) {
    try {
      return Long.parseLong(Files.readString(workDir.resolve(PID)).trim());
    } catch (NoSuchFileException | NumberFormatException e) {
      return -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** True when {@code pid} runs and is the keeper of {@code workDir} (by its command line). */
  private static boolean isKeeper(long pid, Path workDir) {
    try {
      String cmdline =
          Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
      return cmdline.contains("\0keeper\0") && cmdline.contains("\0" + workDir + "\0");
    } catch (IOException e) {
      return false;
    }
  }

  /** The last lines of the keeper's log, for a message. */
  private static String lastWords(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return lines.isEmpty()
          ? "it printed nothing"
          : String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "its log " + log + " cannot be read (" + e.getMessage() + ")";
    }
  }

  /** Replaces {@code file} by {@code bytes} through a temporary name (owner-only). */
  private static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    OwnerOnly.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void pause(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the session keeper");
    }
  }
}
