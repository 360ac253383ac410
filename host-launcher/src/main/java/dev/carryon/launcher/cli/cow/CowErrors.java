package dev.carryon.launcher.cli.cow;

import dev.carryon.cow.ImageException;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/** Turns the engine's exceptions into {@link CarryonException}s that name the file. */
final class CowErrors {
  /** An engine action that may fail with an I/O error. */
  interface Action<T> {
    T run() throws IOException;
  }

  private CowErrors() {}

  static <T> T call(Action<T> action) {
    try {
      return action.run();
    } catch (ImageException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage(), e);
    } catch (NoSuchFileException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage() + ": no such file", e);
    } catch (FileAlreadyExistsException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage() + ": already exists", e);
    } catch (IllegalArgumentException e) {
      throw new CarryonException(ExitCodes.BAD_INPUT, e.getMessage(), e);
    } catch (IOException e) {
      throw new CarryonException(ExitCodes.FAILURE, e.getMessage(), e);
    }
  }
}
