package dev.carryon.launcher.phone;

import dev.carryon.cow.io.OwnerOnly;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * The phones this host is paired with: one file per phone, {@code phones/SERIAL.token} in the
 * host's carryon folder, holding the token the phone's companion gave over adb, readable by this
 * user only (mode 0600).
 */
public final class Pairings {
  /** The folder of token files. */
  private final Path folder;

  public Pairings(Path folder) {
    this.folder = folder;
  }

  /** Remembers {@code token} for phone {@code serial}, replacing an older one; durable. */
  public void remember(String serial, String token) throws IOException {
    OwnerOnly.createDirectories(folder);
    Path file = file(serial);
    Path temp = folder.resolve(serial + ".token.new");
    Files.deleteIfExists(temp);
    try (FileChannel ch =
        FileChannel.open(
            temp,
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(
                EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)))) {
      ByteBuffer b = ByteBuffer.wrap((token + "\n").getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      // The next command reads it; a power cut must not leave an empty token file behind.
      ch.force(true);
    }
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  /**
   * The token remembered for phone {@code serial}.
   *
   * @throws CarryonException (refused) when this host is not paired with it, or its token file is
   *     open to others
   */
  public String token(String serial) throws IOException {
    Path file = file(serial);
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(file);
    } catch (NoSuchFileException e) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          "this PC is not paired with phone " + serial + ": run carryon phone pair --serial "
              + serial);
    }
    if (!EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)
        .containsAll(mode)) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          file + " is open to others (mode " + PosixFilePermissions.toString(mode)
              + "): chmod 600 " + file + ", or pair again");
    }
    String token = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
    if (token.isEmpty()) {
      throw new CarryonException(
          ExitCodes.BAD_INPUT, file + " holds no token: run carryon phone pair --serial " + serial);
    }
    return token;
  }

  /** True when this host is paired with phone {@code serial}. */
  public boolean paired(String serial) {
    return Files.isRegularFile(file(serial));
  }

  private Path file(String serial) {
    return folder.resolve(Adb.checkSerial(serial) + ".token");
  }
}
