package dev.carryon.launcher.host;

import java.nio.file.Path;
import java.time.Instant;

/**
 * One session as the host catalog remembers it.
 *
 * @param sessionId unique id, also named in the carrier's lease
 * @param carrierId id of the carrier the session runs from
 * @param carrier where the carrier lived when the session began (its storage's location: a
 *     folder, or a URL), for people
 * @param workDir this host's work folder for the session
 * @param state where the session stands
 * @param fromGeneration the carrier generation the session resumed from
 * @param qemuPid process id of the session's QEMU, or 0 when none runs
 * @param qemuDir QEMU's work folder (its QMP socket), or null when none runs
 * @param accelerator the accelerator QEMU ran with ("kvm" or "tcg"), or null before start
 * @param startedAt when the session began
 * @param endedAt when it ended or was aborted, or null while open
 */
public record SessionRecord(
    String sessionId,
    String carrierId,
    String carrier,
    Path workDir,
    SessionState state,
    long fromGeneration,
    long qemuPid,
    Path qemuDir,
    String accelerator,
    Instant startedAt,
    Instant endedAt) {

  /** This record moved to {@code newState} at {@code when}; a QEMU is only kept while running. */
  public SessionRecord withState(SessionState newState, Instant when) {
    boolean qemuKept = newState == SessionState.RUNNING || newState == SessionState.STARTING;
    return new SessionRecord(
        sessionId,
        carrierId,
        carrier,
        workDir,
        newState,
        fromGeneration,
        qemuKept ? qemuPid : 0,
        qemuKept ? qemuDir : null,
        accelerator,
        startedAt,
        newState.isOpen() ? null : when);
  }

  public SessionRecord withQemu(long pid, Path dir, String accel) {
    return new SessionRecord(
        sessionId, carrierId, carrier, workDir, state, fromGeneration, pid, dir, accel,
        startedAt, endedAt);
  }
}
