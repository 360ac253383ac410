package dev.carryon.launcher.cli.sync;

import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.LeaseException;
import dev.carryon.cow.ImageException;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.sync.disk.VolumeException;
import dev.carryon.sync.ext4.Ext4Exception;
import dev.carryon.sync.guestfs.GuestfsException;
import dev.carryon.sync.host.SyncRefusedException;
import dev.carryon.sync.lvm.LvmException;
import dev.carryon.sync.partition.PartitionException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/** Turns the failures of sync, reset and export into {@link CarryonException}s with exit codes. */
final class SyncErrors {
  /** An action that may fail with an I/O error. */
  interface Action<T> {
    T run() throws IOException;
  }

  private SyncErrors() {}

  static <T> T call(Action<T> action) {
    try {
      return action.run();
    } catch (IOException e) {
      throw translate(e);
    }
  }

  /** The exception to report for {@code e}. */
  static CarryonException translate(IOException e) {
    if (e instanceof LeaseException) {
      return new CarryonException(ExitCodes.REFUSED, e.getMessage(), e);
    }
    if (e instanceof SyncRefusedException s) {
      int code =
          s.kind() == SyncRefusedException.Kind.WRONG_DISK ? ExitCodes.REFUSED : ExitCodes.BAD_INPUT;
      return new CarryonException(code, e.getMessage(), e);
    }
    if (e instanceof CarrierException || e instanceof ImageException) {
      return new CarryonException(ExitCodes.BAD_INPUT, e.getMessage(), e);
    }
    if (e instanceof Ext4Exception x) {
      String hint =
          x.kind() == Ext4Exception.Kind.UNSUPPORTED
              ? " (--reader libguestfs reads it through libguestfs)"
              : "";
      return new CarryonException(ExitCodes.BAD_INPUT, e.getMessage() + hint, e);
    }
    if (e instanceof PartitionException || e instanceof LvmException
        || e instanceof VolumeException) {
      return new CarryonException(ExitCodes.BAD_INPUT, e.getMessage(), e);
    }
    if (e instanceof GuestfsException g) {
      return new CarryonException(g.missing() ? ExitCodes.ENVIRONMENT : ExitCodes.FAILURE,
          e.getMessage(), e);
    }
    if (e instanceof NoSuchFileException) {
      return new CarryonException(ExitCodes.BAD_INPUT, e.getMessage() + ": no such file", e);
    }
    if (e instanceof FileAlreadyExistsException) {
      return new CarryonException(
          ExitCodes.BAD_INPUT, e.getMessage() + ": already exists (use --replace)", e);
    }
    return new CarryonException(ExitCodes.FAILURE, e.getMessage(), e);
  }
}
