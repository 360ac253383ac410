package dev.carryon.launcher.session;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.keys.CarrierKey;
import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.EndResult;
import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Generation;
import dev.carryon.carrier.Lease;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.Progress;
import dev.carryon.carrier.SessionEnd;
import dev.carryon.carrier.VmConfig;
import dev.carryon.carrier.client.RequestLog;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.cow.ImageException;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.cli.ProgressBar;
import dev.carryon.launcher.host.Folders;
import dev.carryon.launcher.host.SessionRecord;
import dev.carryon.launcher.host.SessionState;
import dev.carryon.launcher.qemu.Hibernation;
import dev.carryon.launcher.qemu.QemuLaunch;
import dev.carryon.launcher.qemu.QemuProcess;
import dev.carryon.launcher.qemu.Screens;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code end}: saves the guest's RAM state, quits QEMU, writes the session's disk changes and state
 * onto the carrier and commits them as a new generation, releasing the lease.
 *
 * <p>Local and remote side by side, commit after both: the state is saved to this host's work
 * folder, forced and recorded as saved before QEMU quits, while it also goes up to the carrier's
 * temporary folder as it is written ({@link StateUpload}); the layer goes up beside the rest of
 * the state once QEMU is gone. The carrier commits only once every file it took is forced there
 * and the host's copy is forced and recorded, and the work folder is only deleted after the
 * commit. An end cut at any point is finished by running it again: a session the catalog calls
 * {@link SessionState#SAVED} goes straight to the carrier part (which continues after what of the
 * state the carrier holds), and the carrier makes that part all-or-nothing.
 */
public final class EndSession {
  /** The small picture of the screen as saved, in the session's work folder. */
  static final String SCREEN = "screen.png";
  /** Longest a save of the RAM state may take. */
  private static final Duration SAVE_TIMEOUT = Duration.ofMinutes(5);

  /** What to do with a session whose guest cannot be hibernated. */
  public enum Mode {
    /** Hibernate the running guest; refuse when its QEMU is gone. */
    HIBERNATE,
    /**
     * Commit the disk without a RAM state (a cold-boot generation): for a guest that was shut down
     * cleanly, or whose QEMU is gone.
     */
    COMMIT_DISK,
    /** Drop the session's changes: stop QEMU, release the lease, delete the work files. */
    DISCARD
  }

  /**
   * What an end did.
   *
   * @param session the session ended
   * @param carrier what the carrier committed, or null for a discarded session (or one that ended
   *     earlier and whose generation is no longer kept)
   * @param stateRawBytes size of the saved RAM state before compression, or -1 when none was
   *     saved by this run
   * @param earlier true when an earlier run had already ended the session and this one did nothing
   */
  public record Ended(
      SessionRecord session, EndResult carrier, long stateRawBytes, boolean earlier) {}

  private EndSession() {}

  /**
   * Ends this host's session on the carrier of {@code storage}; see the class doc. {@code onStep}
   * is told each step as it completes, so that an interrupted end has shown how far it got. When
   * this host's last session on the carrier has already ended, says so and does nothing.
   */
  public static Ended end(
      Host host, CarrierStorage storage, Mode mode, PrintWriter log, Consumer<Step> onStep)
      throws IOException {
    return end(host, storage, mode, log, onStep, null);
  }

  /**
   * Like {@link #end(Host, CarrierStorage, Mode, PrintWriter, Consumer)}, for a session whose QEMU
   * this process runs (a foreground {@code resume}): {@code running} is used instead of attaching
   * to it.
   */
  public static Ended end(
      Host host,
      CarrierStorage storage,
      Mode mode,
      PrintWriter log,
      Consumer<Step> onStep,
      QemuProcess running)
      throws IOException {
    RequestLog.mark("end: begins");
    String where = storage.location();
    // The session keeper holds an encrypted carrier's key since resume: no Argon2id again.
    SessionKeeper.borrowKey(host.catalog.sessions(), where, log);
    // Read once for the whole end (over a link each read is a round of requests); the commit
    // opens it for write from this read, and reads the manifest again under the lock.
    try (Carrier carrier = Carrier.open(storage)) {
      RequestLog.mark("end: carrier read");
      return end(host, carrier, where, mode, log, onStep, running);
    }
  }

  private static Ended end(
      Host host,
      Carrier carrier,
      String where,
      Mode mode,
      PrintWriter log,
      Consumer<Step> onStep,
      QemuProcess running)
      throws IOException {
    Found found = findSession(host, carrier.manifest(), where);
    if (found.earlier != null) {
      return found.earlier;
    }
    SessionRecord session = found.open;
    long rawState = -1;
    if (mode == Mode.DISCARD) {
      if (running != null) {
        running.close();
      }
      discard(host, carrier, session, log);
      return new Ended(session, null, -1, false);
    }
    Path localState = session.workDir().resolve(ResumeSession.LOCAL_STATE);
    // The carrier part begun before the save, so that the state goes up while QEMU saves it; null
    // when it begins after (a state an earlier run saved, none, or a carrier not writable then).
    Begun begun = null;
    // The beginning of that part (the lock and a round of requests over a link), beside QEMU's
    // attach and the screen's picture; null once taken into begun, or when none is made.
    Background<Begun> beginning = null;
    // The small picture of the screen being made beside the save; null when none is.
    Background<Void> screen = null;
    try {
      if (session.state() != SessionState.SAVED) {
        VmConfig vm = carrier.manifest().vm();
        byte[] stateKey = carrier.key(CarrierKey.STATE_CIPHER).orElse(null);
        if (mode == Mode.HIBERNATE) {
          SessionRecord ending = session;
          beginning = Background.start("end-begin", () -> begin(host, carrier, ending));
        }
        QemuProcess qemu =
            running != null && running.isAlive() ? running : attach(session, vm, mode);
        RequestLog.mark("end: attached to QEMU");
        // A save cut earlier may have left part of a state, or a whole one never recorded: either
        // is dropped, and the guest (still in QEMU, running or paused) is saved anew.
        Files.deleteIfExists(localState);
        if (qemu != null && mode == Mode.HIBERNATE) {
          Hibernation.allowSaveAgain(qemu);
          long t = System.nanoTime();
          Hibernation.Stats stats;
          ProgressBar bar = ProgressBar.on(log, "saving RAM");
          // The save does not wait for the carrier part: the state's upload starts once that part
          // has begun, from the host file's first byte, however much of it the save wrote by then.
          Background<Begun> uploading = null;
          try (WritableByteChannel out = StateFile.create(localState, stateKey)) {
            Background<Begun> carrierPart = beginning;
            beginning = null;
            uploading =
                Background.start(
                    "end-upload-begin",
                    () -> {
                      Begun b = carrierPart.await();
                      RequestLog.mark("end: carrier part begun");
                      return b == null ? null : b.uploading(localState);
                    });
            stats = Hibernation.save(qemu, out, SAVE_TIMEOUT, bar::update);
          } catch (IOException | RuntimeException e) {
            Begun b = uploading == null ? null : awaitQuietly(uploading, e);
            if (b != null) {
              b.close(e instanceof IOException io ? io : new IOException(e));
            }
            throw saveFailed(qemu, localState, e);
          } finally {
            bar.finish();
          }
          RequestLog.mark("end: saved");
          // Taken of the guest the save left paused: the same picture, and the save began sooner.
          screen = keepScreen(qemu, vm, session.workDir(), log);
          RequestLog.mark("end: screen taken");
          begun = uploading.await();
          if (begun != null && begun.upload() != null) {
            begun.upload().whole();
          }
          rawState = stats.stateBytes();
          onStep.accept(
              Step.since("save RAM state (zstd) to " + localState, t, Files.size(localState)));
        }
        // Recorded while QEMU still holds the guest: an end cut before this record saves again
        // from the paused QEMU; one cut after it finds the state whole (forced above) and goes on
        // with it. Quitting QEMU first would leave a window where the only copy of the guest's RAM
        // is a file nothing says is whole. The carrier commits only after this record too.
        session = session.withState(SessionState.SAVED, Instant.now());
        host.catalog.saveSession(session);
        RequestLog.mark("end: recorded saved");
        if (qemu != null) {
          qemu.close();
        }
        RequestLog.mark("end: QEMU closed");
      } else {
        stopLeftoverQemu(session); // an end cut between the record above and QEMU's quit
      }
      // The keeper served QEMU, which is gone: its stop (a fetch of its hoard to finish) runs
      // beside the carrier part and is waited for after the commit.
      SessionKeeper.beginStop(session.workDir());
    } catch (IOException | RuntimeException | Error e) {
      if (beginning != null) {
        begun = awaitQuietly(beginning, e);
      }
      if (begun != null) {
        begun.close(new IOException("the end stopped before its commit", e));
      }
      throw e;
    }
    EndResult result;
    try {
      result = commit(host, carrier, begun, screen, session, localState, onStep, log);
    } catch (CarrierException | ImageException e) {
      throw e; // the carrier or an image is wrong: its message says what
    } catch (IOException e) {
      // A full, read-only or unplugged carrier: the carrier is at its last whole generation and
      // everything of this session is still on this host.
      throw new CarryonException(
          ExitCodes.FAILURE,
          e.getMessage() + "; the session is kept in " + session.workDir() + ": make room on the"
              + " carrier (or make it writable, or plug it back in) and run carryon end "
              + where + " again",
          e);
    }
    RequestLog.mark("end: committed");
    host.catalog.recordCarrier(session.carrierId(), where, result.generation().number());
    RequestLog.mark("end: carrier recorded");
    stopKeeper(session, log);
    RequestLog.mark("end: keeper stopped");
    // The session's record closes last: an end cut before it finds the session open, sees the
    // generation committed and finishes the cleanup.
    Folders.deleteTree(session.workDir());
    host.catalog.saveSession(session.withState(SessionState.ENDED, Instant.now()));
    RequestLog.mark("end: recorded ended");
    return new Ended(session, result, rawState, false);
  }

  /**
   * Keeps a small picture of the screen of the guest a save left paused, for the new generation
   * ({@code states/S<n>.png}): a person sees which session a carrier holds. A VM without a display
   * adapter has none; a picture that cannot be taken is only a warning. The picture is taken here;
   * it is made small on a thread of its own while the end goes on (decoding and encoding PNGs in a
   * fresh JVM took 0.1-0.2 s), and appears whole or not at all.
   *
   * @return the making of the small picture, to wait for before it is copied; null when none
   */
  private static Background<Void> keepScreen(
      QemuProcess qemu, VmConfig vm, Path workDir, PrintWriter log) {
    Path small = workDir.resolve(SCREEN);
    if (vm.devices().stream().noneMatch(d -> d.type().isDisplay())) {
      return null;
    }
    Path full = workDir.resolve("screen-full.ppm");
    try {
      Files.deleteIfExists(small);
      Screens.dumpForShrink(qemu, full);
    } catch (IOException e) {
      log.println("warning: no picture of the screen is kept: " + e.getMessage());
      return null;
    }
    return Background.start("end-screen", () -> {
      try {
        Path partial = workDir.resolve(SCREEN + ".part");
        Screens.shrink(full, partial);
        Files.move(partial, small, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(full);
      } catch (IOException | RuntimeException e) {
        log.println("warning: no picture of the screen is kept: " + e.getMessage());
      }
      return null;
    });
  }

  /**
   * A save that failed (a full or failing local disk) must not lose the guest: its partial state
   * is dropped and the guest continues, which is safe because no state of this moment is kept.
   */
  private static CarryonException saveFailed(QemuProcess qemu, Path localState, Exception e) {
    String guest;
    try {
      Files.deleteIfExists(localState);
      qemu.qmp().execute("cont", Duration.ofSeconds(10));
      guest = "the guest runs on";
    } catch (IOException | RuntimeException again) {
      guest = "the guest could not be continued (" + again.getMessage() + ")";
    }
    return new CarryonException(
        ExitCodes.FAILURE,
        "could not save the guest's RAM state to " + localState + ": " + e.getMessage() + "; "
            + guest + " and nothing was written to the carrier. Fix the cause and run carryon"
            + " end again",
        e);
  }

  /**
   * The carrier part of an end begun before the save: the carrier open for write, the end under
   * way on it, and the state's upload while QEMU saves it (null until started, or when it could
   * not start).
   */
  private record Begun(Carrier carrier, SessionEnd end, StateUpload upload) {
    /** This, with the state's upload started from the host's file as the save writes it. */
    Begun uploading(Path localState) {
      try {
        return new Begun(carrier, end, StateUpload.start(end, localState));
      } catch (IOException e) {
        return this; // the state goes up after the save instead
      }
    }

    /**
     * Stops the upload, deletes what of the state it sent (that state is never committed: the
     * carrier is left as it was) and releases the carrier: the end stopped for {@code why}.
     */
    void close(IOException why) {
      try (carrier) {
        if (upload != null) {
          upload.abandon(why);
          end.dropState();
        }
      } catch (IOException e) {
        why.addSuppressed(e);
      }
    }
  }

  /**
   * Opens the carrier for write and begins the end on it before the save, so that the state goes
   * up while QEMU saves it; null when that cannot be done now (a carrier busy, unplugged or
   * refusing the end): the end then saves the state on this host all the same and tries again
   * after, where a failure says why and keeps the session.
   */
  private static Begun begin(Host host, Carrier read, SessionRecord session) {
    Carrier writing;
    try {
      writing = read.forWrite("carryon end");
    } catch (IOException e) {
      return null;
    }
    try {
      if (committedBy(writing, session) == null) {
        return new Begun(writing, beginEnd(host, writing, session), null);
      }
    } catch (IOException e) {
      // Said again, clearly, when the end tries after the save.
    }
    try {
      writing.close();
    } catch (IOException e) {
      // Released with this process at the latest.
    }
    return null;
  }

  /**
   * Writes the local COW and state onto the carrier and commits them; goes on with {@code begun}
   * (and closes it) when the end began before the save, and waits for {@code screen} (when not
   * null) before it copies the small picture of the screen.
   */
  private static EndResult commit(
      Host host,
      Carrier read,
      Begun begun,
      Background<Void> screen,
      SessionRecord session,
      Path localState,
      Consumer<Step> onStep,
      PrintWriter log)
      throws IOException {
    try (Carrier carrier = begun != null ? begun.carrier() : read.forWrite("carryon end")) {
      SessionEnd end;
      if (begun != null) {
        end = begun.end();
      } else {
        Generation done = committedBy(carrier, session);
        if (done != null) {
          // An earlier end was cut after its commit (opening for write finished its merge): the
          // lease is gone with it, so beginning the end again would be refused.
          onStep.accept(new Step("generation " + done.number() + " was already committed", 0, -1));
          return new EndResult(done, List.of(), List.of(), List.of());
        }
        end = beginEnd(host, carrier, session);
      }
      // The layer, its check, its chunk list and the screen's picture go beside the state: over a
      // link their many small requests cost round trips, not bytes, and hide behind the state's
      // transfer.
      boolean withState = Files.exists(localState);
      Background<Void> layer =
          Background.start(
              "end-layer",
              () -> {
                copyLayer(end, session, onStep);
                end.checkLayer();
                end.listLayer();
                if (withState) {
                  copyScreen(end, screen, session);
                }
                return null;
              });
      try {
        if (withState) {
          copyState(end, begun != null ? begun.upload() : null, localState, onStep, log);
          RequestLog.mark("end: state sent");
        } else {
          end.coldBoot();
        }
      } catch (IOException | RuntimeException e) {
        // The lock is not released while the layer is still being written.
        try {
          layer.await();
        } catch (IOException | RuntimeException again) {
          e.addSuppressed(again);
        }
        throw e;
      }
      layer.await();
      RequestLog.mark("end: layer and screen sent");
      long t = System.nanoTime();
      EndResult result =
          carrier.commitGeneration(end, "session " + session.sessionId() + " on " + host.identity.hostName());
      onStep.accept(
          Step.since("commit generation " + result.generation().number() + " and merge", t, -1));
      return result;
    }
  }

  /**
   * Brings the host's saved state onto the carrier: what {@code upload} sent while QEMU saved it,
   * when that went well and is the whole file; else a copy of the host's file, which goes on after
   * what of it the carrier holds.
   */
  private static void copyState(
      SessionEnd end, StateUpload upload, Path localState, Consumer<Step> onStep, PrintWriter log)
      throws IOException {
    String step = "write the state of generation " + end.generation();
    if (upload != null) {
      try {
        FileRecord sent = upload.finish();
        if (sent.size() == Files.size(localState)) {
          onStep.accept(Step.since(step + " (beside the save)", upload.started(), sent.size()));
          return;
        }
        log.println("warning: the state sent while it was saved has " + sent.size()
            + " bytes, not the saved " + Files.size(localState) + "; sending it again");
      } catch (IOException e) {
        log.println("warning: sending the state while it was saved failed (" + e.getMessage()
            + "); sending it again from " + localState);
      }
    }
    long t = System.nanoTime();
    ProgressBar bar = ProgressBar.on(log, "writing state");
    FileRecord state = end.copyState(localState, bar::update);
    bar.finish();
    onStep.accept(Step.since(step, t, state.size()));
  }

  /**
   * Copies the small picture of the screen onto the carrier once {@code screen} (when not null) has
   * made it; none when it could not be made.
   */
  private static void copyScreen(SessionEnd end, Background<Void> screen, SessionRecord session)
      throws IOException {
    if (screen != null) {
      screen.await();
    }
    Path small = session.workDir().resolve(SCREEN);
    if (Files.exists(small)) {
      end.copyScreenshot(small, Progress.NONE);
    }
  }

  /**
   * The carrier part {@code beginning} began, waited for after {@code failure} stopped the end; a
   * failure of its own is added to {@code failure}.
   */
  private static Begun awaitQuietly(Background<Begun> beginning, Throwable failure) {
    try {
      return beginning.await();
    } catch (IOException | RuntimeException e) {
      if (e != failure) {
        failure.addSuppressed(e);
      }
      return null;
    }
  }

  /** The next generation of {@code carrier} begun from {@code session}, with the QEMU it ran under. */
  private static SessionEnd beginEnd(Host host, Carrier carrier, SessionRecord session)
      throws IOException {
    SessionEnd end = carrier.beginEnd(host.identity, session.sessionId(), session.fromGeneration());
    end.ranUnder(SessionQemu.read(session.workDir()));
    return end;
  }

  /** Copies the session's local COW onto the carrier as the new layer; tells its step. */
  private static FileRecord copyLayer(SessionEnd end, SessionRecord session, Consumer<Step> onStep)
      throws IOException {
    long t = System.nanoTime();
    FileRecord layer =
        end.copyLayer(session.workDir().resolve(ResumeSession.LOCAL_COW), Progress.NONE);
    onStep.accept(Step.since("write the layer of generation " + end.generation(), t, layer.size()));
    return layer;
  }

  /** The kept generation {@code session} made, or null when it has not committed yet. */
  private static Generation committedBy(Carrier carrier, SessionRecord session) {
    for (Generation g : carrier.checkpoints()) {
      if (g.sessionId().equals(session.sessionId())) {
        return g;
      }
    }
    return null;
  }

  private static QemuProcess attach(SessionRecord session, VmConfig vm, Mode mode)
      throws IOException {
    if (session.qemuPid() <= 0 || session.qemuDir() == null) {
      return missingQemu(session, mode, "it never started");
    }
    try {
      return QemuProcess.attach(
          QemuLaunch.of(vm, session.workDir()), session.qemuPid(), session.qemuDir());
    } catch (IOException e) {
      return missingQemu(session, mode, e.getMessage());
    }
  }

  /**
   * Stops the session keeper once QEMU is gone and the layer committed (the commit reads the carrier
   * itself: a keeper that died changes nothing), telling the chunks that failed their hash while
   * the session ran.
   */
  private static void stopKeeper(SessionRecord session, PrintWriter log) {
    SessionKeeper.seen(session.workDir())
        .ifPresent(k -> k.problems().forEach(p -> log.println("warning: during the session: " + p)));
    SessionKeeper.stop(session.workDir());
  }

  /** Stops the session's QEMU if it still runs. */
  private static void stopLeftoverQemu(SessionRecord session) {
    if (session.qemuPid() > 0 && session.qemuDir() != null) {
      try {
        QemuProcess.attach(null, session.qemuPid(), session.qemuDir()).close();
      } catch (IOException e) {
        // Already gone: nothing to stop.
      }
    }
  }

  private static QemuProcess missingQemu(SessionRecord session, Mode mode, String why) {
    if (mode == Mode.HIBERNATE) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          "cannot hibernate session " + session.sessionId() + ": its QEMU is gone (" + why
              + "). Its disk changes are kept in " + session.workDir() + ". If the guest was shut"
              + " down cleanly, commit them with: carryon end --commit-disk " + session.carrier()
              + "; to drop them: carryon end --discard " + session.carrier());
    }
    return null;
  }

  private static void discard(Host host, Carrier read, SessionRecord session, PrintWriter log)
      throws IOException {
    stopLeftoverQemu(session);
    stopKeeper(session, log);
    try (Carrier carrier = read.forWrite("carryon end")) {
      Lease held = carrier.manifest().lease();
      // After a lease break another session may hold it: that lease is not ours to release.
      if (held != null && held.heldBy(host.identity, session.sessionId())) {
        carrier.releaseLease(host.identity, session.sessionId());
      }
    }
    host.catalog.saveSession(session.withState(SessionState.ABORTED, Instant.now()));
    Folders.deleteTree(session.workDir());
  }

  /**
   * This host's session to end on the carrier.
   *
   * @param open the session still open, or null
   * @param earlier when none is open but the last one has already ended: what ended it
   */
  private record Found(SessionRecord open, Ended earlier) {}

  /**
   * This host's open session on the carrier; or, when its last session there has already ended
   * (an end that finished, a rerun after a cut past the end's last step, a discard), what ended it;
   * else a clear refusal.
   */
  private static Found findSession(Host host, Manifest m, String where) throws IOException {
    String carrierId = m.carrierId().toString();
    Optional<SessionRecord> open = host.catalog.openSession(carrierId);
    if (open.isPresent()) {
      return new Found(open.get(), null);
    }
    Optional<SessionRecord> last = host.catalog.lastSession(carrierId);
    if (last.isPresent()) {
      SessionRecord s = last.get();
      EndResult made = null;
      for (Generation g : m.generations()) {
        if (s.state() == SessionState.ENDED && g.sessionId().equals(s.sessionId())) {
          made = new EndResult(g, List.of(), List.of(), List.of());
        }
      }
      return new Found(null, new Ended(s, made, -1, true));
    }
    Lease lease = m.lease();
    throw new CarryonException(
        ExitCodes.REFUSED,
        "this host has no session on " + where
            + (lease == null ? " (nobody holds it)" : "; it is leased by " + lease.describe()));
  }
}
