package dev.carryon.launcher.host;

/** Where a session on this host stands; stored by name in the host catalog. */
public enum SessionState {
  /** The lease is taken and QEMU is being started or restored. */
  STARTING,
  /** The guest runs. */
  RUNNING,
  /** QEMU has quit after a completed save; the local COW and state wait to reach the carrier. */
  SAVED,
  /** The carrier committed the session's generation; local work files are gone. */
  ENDED,
  /** The session never got going (start failed); nothing of it reached the carrier. */
  ABORTED;

  /** True while the session holds, or may still hold, work that is not on the carrier. */
  public boolean isOpen() {
    return this == STARTING || this == RUNNING || this == SAVED;
  }
}
