package dev.carryon.launcher.cli;

import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.launcher.phone.PhoneName;
import dev.carryon.launcher.phone.PhoneStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Parameters;

/**
 * The CARRIER argument of every command that works on a carrier (a picocli mixin), and the one
 * place that turns what the user typed into the carrier's storage: today a folder (a mounted USB
 * drive or any directory). The storage is the command's to close.
 */
public final class CarrierArg {
  @Parameters(
      index = "0",
      paramLabel = "CARRIER",
      description = "The carrier: a folder (a mounted USB drive or any directory), or adb://SERIAL/NAME (adb:NAME: the only phone) on a phone with the carryon companion.")
  String location;

  /** Where the carrier lives, as the user named it. */
  public String location() {
    return location;
  }

  /** The storage of an existing carrier; refuses a folder that does not exist. */
  public CarrierStorage open() throws CarrierException {
    if (PhoneName.isPhone(location)) {
      return PhoneStorage.open(location);
    }
    Path folder = Path.of(location);
    if (!Files.isDirectory(folder)) {
      throw new CarrierException(location + ": no such folder");
    }
    return FolderStorage.of(folder);
  }

  /** The storage a new carrier is made in (the folder is created when absent). */
  public CarrierStorage openForCreate() {
    if (PhoneName.isPhone(location)) {
      return PhoneStorage.open(location);
    }
    return FolderStorage.of(Path.of(location));
  }

  @Override
  public String toString() {
    return location;
  }
}
