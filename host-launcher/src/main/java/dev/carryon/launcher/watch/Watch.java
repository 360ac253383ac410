package dev.carryon.launcher.watch;

import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.session.Host;
import dev.carryon.launcher.session.ResumeSession;
import dev.carryon.launcher.session.StandbyKeeper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * {@code carryon watch}: notices carriers being plugged in and out, reports each one ({@link
 * WatchEvent}), and with auto-resume resumes a free one, as {@code carryon resume --detach} would.
 *
 * <p>Mount changes ({@link MountEvents}), phone events ({@link PhoneSource}) and {@link #stop} feed
 * one queue that {@link #run} works through on the caller's thread, one at a time. After a mount
 * change the mount table is read again: file systems that appeared are scanned for carriers
 * ({@link CarrierScan}, each within {@link #SCAN_TIMEOUT}, so a hung network mount cannot hold the
 * watch up), and those that went take their carriers with them. A carrier is known by its folder
 * and the mount holding it, so one unplugged and plugged in again is reported both ways even when
 * both happened before the table was read.
 *
 * <p>Auto-resume never touches a carrier that is leased (by another host, or by a session of this
 * one): only a free carrier is resumed, and the resume itself validates it and this host first.
 * With auto-resume a session keeper is kept started ahead ({@link StandbyKeeper}), so that a
 * carrier plugged in does not wait for a keeper's JVM to start.
 */
public final class Watch implements AutoCloseable {
  /** Longest the scan of one new file system may take. */
  static final Duration SCAN_TIMEOUT = Duration.ofSeconds(3);
  /**
   * When the mount table is read a second time after the start: findmnt has no "ready" signal, and
   * a mount made while it was starting would otherwise wait for the next change to be seen.
   */
  private static final Duration SECOND_LOOK = Duration.ofSeconds(1);

  /** How long a stop may come after the mount events ended, for them to count as stopped. */
  private static final Duration STOP_GRACE = Duration.ofSeconds(1);

  /** Puts the mount table's change on the queue. */
  private static final Object MOUNTS_CHANGED = new Object();
  /** Ends {@link #run}. */
  private static final Object STOP = new Object();
  /** {@link #keeperAheadDue} when no keeper is to be started ahead. */
  private static final long NOT_DUE = Long.MIN_VALUE;

  /** A source that stopped by itself: {@link #run} ends with its message. */
  private record Failure(String message) {}

  /**
   * What to watch and do.
   *
   * @param under only file systems mounted at or below one of these folders are looked at
   * @param autoResume resume a free carrier as soon as it is seen
   */
  public record Settings(List<Path> under, boolean autoResume) {
    public Settings {
      under = List.copyOf(under);
    }
  }

  /** A carrier on a mounted file system: its folder and the mount holding it. */
  private record Place(Path folder, int mountId) {}

  private final Host host;
  private final Settings settings;
  private final Consumer<WatchEvent> sink;
  /** Where the resumes write what they have to say besides the events (the accelerator). */
  private final PrintWriter log;
  private final PhoneSource phones;
  private final PhoneCarriers phoneCarriers;
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  /** Scans each new file system on a thread of its own (see {@link #SCAN_TIMEOUT}). */
  private final ExecutorService scanners =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "carryon-watch-scan");
            t.setDaemon(true);
            return t;
          });

  /**
   * When the next keeper is due to be started ahead ({@link System#nanoTime}), or {@link
   * #NOT_DUE}.
   */
  private long keeperAheadDue = NOT_DUE;

  /** The mount events, once started. */
  private MountEvents mounts;
  /** Every mount looked at (or left alone) so far, by mount id, with the carriers found on it. */
  private final Map<Integer, List<Path>> scanned = new HashMap<>();
  /** The carriers on mounts now, with what was read of each (null: unreadable). */
  private final Map<Place, CarrierLook> onMounts = new LinkedHashMap<>();
  /** The carriers on each phone now, by {@link PhoneEvent#usb()}. */
  private final Map<String, List<CarrierLook>> onPhones = new HashMap<>();

  public Watch(
      Host host,
      Settings settings,
      Consumer<WatchEvent> sink,
      PrintWriter log,
      PhoneSource phones,
      PhoneCarriers phoneCarriers) {
    this.host = host;
    this.settings = settings;
    this.sink = sink;
    this.log = log;
    this.phones = phones;
    this.phoneCarriers = phoneCarriers;
  }

  /**
   * Watches until {@link #stop} is called, reporting every event to the sink: first {@link
   * WatchEvent.Watching}, then the carriers already there, then each change.
   *
   * @throws IOException when the mount events cannot be heard (no findmnt) or stop coming, or the
   *     host catalog fails
   */
  public void run() throws IOException, InterruptedException {
    mounts = MountEvents.start(() -> queue.add(MOUNTS_CHANGED), m -> queue.add(new Failure(m)));
    String phoneWatch;
    try {
      phoneWatch = phones.start(queue::add);
    } catch (IOException e) {
      phoneWatch = "phones are not watched: " + e.getMessage();
    }
    if (settings.autoResume()) {
      keeperAheadDue = System.nanoTime();
    }
    sink.accept(new WatchEvent.Watching(settings.under(), phoneWatch));
    Thread secondLook =
        new Thread(
            () -> {
              try {
                Thread.sleep(SECOND_LOOK.toMillis());
                queue.add(MOUNTS_CHANGED);
              } catch (InterruptedException e) {
                // the watch is over
              }
            },
            "carryon-watch-second-look");
    secondLook.setDaemon(true);
    secondLook.start();
    startKeeperAheadIfDue();
    mountsChanged();
    while (true) {
      Object signal =
          keeperAheadDue == NOT_DUE
              ? queue.take()
              : queue.poll(keeperAheadDue - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (signal == null) {
        startKeeperAheadIfDue();
      } else if (signal == STOP) {
        return;
      } else if (signal instanceof Failure f) {
        // A SIGTERM sent to the whole process group or cgroup (timeout(1), systemd stopping the
        // unit) ends findmnt too, and its end may be read before this JVM's own handler has run.
        if (stopFollows()) {
          return;
        }
        throw new IOException(f.message());
      } else if (signal == MOUNTS_CHANGED) {
        queue.removeIf(s -> s == MOUNTS_CHANGED); // one read of the table covers them all
        mountsChanged();
      } else if (signal instanceof PhoneEvent p) {
        phoneEvent(p);
      }
    }
  }

  private void startKeeperAheadIfDue() {
    if (keeperAheadDue == NOT_DUE || System.nanoTime() - keeperAheadDue < 0) {
      return;
    }
    keeperAheadDue = NOT_DUE;
    try {
      StandbyKeeper.prepare(host.home());
    } catch (IOException | RuntimeException e) {
      log.println("carryon watch: could not start a session keeper ahead: " + e.getMessage());
      log.flush();
    }
  }

  /** True when {@link #stop} was called, or is within {@link #STOP_GRACE}. */
  private boolean stopFollows() throws InterruptedException {
    long deadline = System.nanoTime() + STOP_GRACE.toNanos();
    for (long left = STOP_GRACE.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      if (queue.poll(left, TimeUnit.NANOSECONDS) == STOP) {
        return true;
      }
    }
    return false;
  }

  /** Ends {@link #run}; may be called from any thread, e.g. a signal handler. */
  public void stop() {
    queue.add(STOP);
  }

  private void mountsChanged() throws IOException, InterruptedException {
    Map<Integer, MountTable.Mount> table = MountTable.read();
    scanned.keySet().retainAll(table.keySet());
    scanNew(table);
    Set<Place> now = new LinkedHashSet<>();
    for (Map.Entry<Integer, List<Path>> e : scanned.entrySet()) {
      for (Path folder : e.getValue()) {
        // A folder is the carrier of the file system that holds it: the deepest mount above it.
        // A scan of a parent mount may list a folder that another mount now covers.
        if (deepestMount(table, folder) == e.getKey()) {
          now.add(new Place(folder, e.getKey()));
        }
      }
    }
    for (Place gone : new ArrayList<>(onMounts.keySet())) {
      if (!now.contains(gone)) {
        detached(gone.folder().toString(), onMounts.remove(gone));
      }
    }
    for (Place place : now) {
      if (!onMounts.containsKey(place)) {
        CarrierLook look = look(place.folder());
        onMounts.put(place, look);
        if (look != null) {
          sighted(look, false);
        }
      }
    }
  }

  /** Scans the mounts not looked at yet, in parallel, each within {@link #SCAN_TIMEOUT}. */
  private void scanNew(Map<Integer, MountTable.Mount> table) throws InterruptedException {
    Map<MountTable.Mount, Future<List<Path>>> scans = new LinkedHashMap<>();
    for (MountTable.Mount m : table.values()) {
      if (scanned.containsKey(m.id())) {
        continue;
      }
      if (m.mayHoldFiles() && watched(m.point())) {
        scans.put(m, scanners.submit(() -> CarrierScan.carriersOn(m.point())));
      } else {
        scanned.put(m.id(), List.of());
      }
    }
    long deadline = System.nanoTime() + SCAN_TIMEOUT.toNanos();
    for (Map.Entry<MountTable.Mount, Future<List<Path>>> s : scans.entrySet()) {
      MountTable.Mount m = s.getKey();
      List<Path> found = List.of();
      try {
        found = s.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        s.getValue().cancel(true);
        sink.accept(
            new WatchEvent.Skipped(
                m.point(), "it did not answer within " + SCAN_TIMEOUT.toSeconds() + " s"));
      } catch (ExecutionException e) {
        // A folder this user may not read holds nothing for this user: not worth a line.
        if (!(e.getCause() instanceof AccessDeniedException)) {
          sink.accept(new WatchEvent.Skipped(m.point(), String.valueOf(e.getCause().getMessage())));
        }
      }
      scanned.put(m.id(), found);
    }
  }

  private boolean watched(Path mountPoint) {
    for (Path root : settings.under()) {
      if (mountPoint.startsWith(root)) {
        return true;
      }
    }
    return false;
  }

  /** The id of the mount whose file system holds {@code folder}: the deepest one above it. */
  private static int deepestMount(Map<Integer, MountTable.Mount> table, Path folder) {
    int best = -1;
    int depth = -1;
    for (MountTable.Mount m : table.values()) {
      // On a tie the later mount wins: it was mounted over the earlier one.
      if (folder.startsWith(m.point()) && m.point().getNameCount() >= depth) {
        best = m.id();
        depth = m.point().getNameCount();
      }
    }
    return best;
  }

  /** Reads the carrier in {@code folder}; an unreadable one is reported and null returned. */
  private CarrierLook look(Path folder) {
    try {
      return CarrierLook.at(folder);
    } catch (IOException e) {
      sink.accept(new WatchEvent.Unreadable(folder.toString(), String.valueOf(e.getMessage())));
      return null;
    }
  }

  private void phoneEvent(PhoneEvent phone) throws IOException {
    sink.accept(new WatchEvent.Phone(phone));
    if (phone.attached()) {
      List<CarrierLook> found;
      try {
        found = phoneCarriers.on(phone);
      } catch (IOException e) {
        sink.accept(new WatchEvent.Unreadable("the phone on USB " + phone.usb(), e.getMessage()));
        return;
      }
      onPhones.put(phone.usb(), found);
      for (CarrierLook look : found) {
        sighted(look, true);
      }
    } else {
      for (CarrierLook look : onPhones.getOrDefault(phone.usb(), List.of())) {
        detached(look.location(), look);
      }
      onPhones.remove(phone.usb());
    }
  }

  private void sighted(CarrierLook look, boolean onPhone) throws IOException {
    String sessionHere = sessionHere(look.carrierId());
    boolean resume = settings.autoResume() && look.lease() == null && sessionHere == null;
    sink.accept(new WatchEvent.Attached(look, sessionHere, resume));
    if (resume) {
      resume(look, onPhone);
    }
  }

  private void detached(String location, CarrierLook look) throws IOException {
    sink.accept(
        new WatchEvent.Detached(
            location,
            look == null ? null : look.carrierId(),
            look == null ? null : sessionHere(look.carrierId())));
  }

  private String sessionHere(String carrierId) throws IOException {
    return host.catalog().openSession(carrierId).map(SessionRecord::sessionId).orElse(null);
  }

  /** Resumes {@code look} detached; a refusal or failure is reported, never thrown. */
  private void resume(CarrierLook look, boolean onPhone) {
    ResumeSession.Started s;
    try (CarrierStorage storage =
        onPhone ? phoneCarriers.open(look.location()) : FolderStorage.of(Path.of(look.location()))) {
      s =
          ResumeSession.start(
              host,
              // The display is the default one: a window in a desktop session, none elsewhere.
              new ResumeSession.Request(
                  storage, null, null, false, true, null, null, null, List.of()),
              log,
              step -> {});
    } catch (IOException | RuntimeException e) {
      sink.accept(new WatchEvent.NotResumed(look.location(), String.valueOf(e.getMessage())));
      return;
    } finally {
      log.flush();
      // The resume took the keeper ahead, if one was ready: the next is started once its guest
      // has settled.
      keeperAheadDue = System.nanoTime() + StandbyKeeper.SETTLE.toNanos();
    }
    try {
      s.qemu().qmp().close(); // QEMU runs on; carryon end takes its monitor from here
    } catch (IOException e) {
      // The connection was already gone: nothing holds the monitor either way.
    }
    sink.accept(
        new WatchEvent.Resumed(
            look.location(), s.generation().number(), s.record().sessionId(), s.qemu().pid(),
            s.console()));
  }

  @Override
  public void close() {
    if (mounts != null) {
      mounts.close();
    }
    phones.close();
    scanners.shutdownNow();
    if (settings.autoResume()) {
      StandbyKeeper.discard();
    }
  }
}
