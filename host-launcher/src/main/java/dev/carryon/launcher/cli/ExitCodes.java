package dev.carryon.launcher.cli;

/** Exit codes of every carryon command; scripts may rely on them. */
public final class ExitCodes {
  /** The command did what was asked. */
  public static final int OK = 0;
  /** An unexpected failure (a bug, or an I/O error that fits no other code). */
  public static final int FAILURE = 1;
  /** The command line was wrong: unknown option, missing argument. */
  public static final int USAGE = 2;
  /** An input file is missing, unreadable, damaged or of the wrong kind. */
  public static final int BAD_INPUT = 3;
  /** Refused on purpose: a lease is held, a checkpoint is incompatible, a check found problems. */
  public static final int REFUSED = 4;
  /** This host lacks something the command needs (QEMU, KVM, disk space). */
  public static final int ENVIRONMENT = 5;
  /** Stopped by the user (Ctrl-C) before it finished. */
  public static final int INTERRUPTED = 130;

  private ExitCodes() {}
}
