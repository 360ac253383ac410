package dev.carryon.launcher.phone;

import dev.carryon.carrier.client.HttpStorage;
import dev.carryon.carrier.client.ServerUnreachableException;
import dev.carryon.carrier.protocol.ErrorCode;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.Digest;
import dev.carryon.carrier.storage.ServerSideImages;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.StoredFile;
import dev.carryon.carrier.storage.VersionedManifest;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.host.HostHome;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A carrier on a phone ({@code adb://SERIAL/NAME} or {@code adb:NAME}): the carrier protocol spoken
 * to the phone's companion through an {@code adb forward} this object sets up and removes again on
 * {@link #close} (also when the command failed). It is the companion's {@link HttpStorage} under
 * the carrier's phone name: errors the companion answers name the phone and the carrier file, not
 * the forward's passing {@code http://127.0.0.1:PORT/}.
 */
public final class PhoneStorage implements CarrierStorage {
  /** The forward to the phone. */
  private final PhoneLink link;

  /** The companion's carrier, through the forward. */
  private final HttpStorage http;

  private PhoneStorage(PhoneLink link, HttpStorage http) {
    this.link = link;
    this.http = http;
  }

  /**
   * The carrier the user named {@code location} ({@code adb:...}), on the phone adb reaches, with
   * the token this host paired with.
   *
   * @throws CarryonException naming the phone and the problem: no phone or several (and no
   *     serial), not paired, companion not installed or not serving, adb missing
   */
  public static CarrierStorage open(String location) {
    try {
      return open(
          PhoneName.parse(location), Adb.onPath(), new Pairings(HostHome.locate().phones()));
    } catch (IOException e) {
      throw new CarryonException(ExitCodes.FAILURE, location + ": " + e.getMessage(), e);
    }
  }

  /** The carrier {@code name}, through {@code adb}, with the token {@code pairings} holds. */
  static PhoneStorage open(PhoneName name, Adb adb, Pairings pairings) throws IOException {
    PhoneLink link = PhoneLink.open(name, adb, pairings);
    try {
      return new PhoneStorage(link, HttpStorage.open(URI.create(link.url()), link.token()));
    } catch (ServerUnreachableException e) {
      link.close();
      throw new CarryonException(
          ExitCodes.ENVIRONMENT,
          "phone " + link.name().serial() + ": the companion does not answer through adb forward"
              + " (was it stopped on the phone? open the carryon app and tap Serve)",
          e);
    } catch (ProtocolException e) {
      link.close();
      throw new CarryonException(
          e.code() == ErrorCode.UNAUTHORIZED ? ExitCodes.REFUSED : ExitCodes.FAILURE,
          "phone " + link.name().serial() + ": " + e.getMessage().replace(link.url(), "/"),
          e);
    } catch (IOException | RuntimeException e) {
      link.close();
      throw e;
    }
  }

  /** The carrier's phone name with the serial: {@code adb://SERIAL/NAME}. */
  @Override
  public String location() {
    return link.name().toString();
  }

  @Override
  public List<StoredFile> list(String folder) throws IOException {
    return onPhone(() -> http.list(folder));
  }

  @Override
  public Map<String, List<StoredFile>> lists(Collection<String> folders) throws IOException {
    return onPhone(() -> http.lists(folders));
  }

  @Override
  public OptionalLong size(String name) throws IOException {
    return onPhone(() -> http.size(name));
  }

  @Override
  public int read(String name, long offset, ByteBuffer dst) throws IOException {
    return onPhone(() -> http.read(name, offset, dst));
  }

  @Override
  public InputStream openRead(String name, long offset) throws IOException {
    return new FilterInputStream(onPhone(() -> http.openRead(name, offset))) {
      @Override
      public int read() throws IOException {
        return onPhone(super::read);
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return onPhone(() -> in.read(b, off, len));
      }
    };
  }

  @Override
  public void write(String name, long offset, ByteBuffer src) throws IOException {
    onPhone(() -> {
      http.write(name, offset, src);
      return null;
    });
  }

  @Override
  public OutputStream openWrite(String name, long offset) throws IOException {
    return new FilterOutputStream(onPhone(() -> http.openWrite(name, offset))) {
      @Override
      public void write(int b) throws IOException {
        onPhone(() -> {
          out.write(b);
          return null;
        });
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        onPhone(() -> {
          out.write(b, off, len);
          return null;
        });
      }

      @Override
      public void flush() throws IOException {
        onPhone(() -> {
          out.flush();
          return null;
        });
      }

      @Override
      public void close() throws IOException {
        onPhone(() -> {
          out.close();
          return null;
        });
      }
    };
  }

  @Override
  public void truncate(String name, long size) throws IOException {
    onPhone(() -> {
      http.truncate(name, size);
      return null;
    });
  }

  @Override
  public void force(String name) throws IOException {
    onPhone(() -> {
      http.force(name);
      return null;
    });
  }

  @Override
  public void makeFolder(String folder) throws IOException {
    if (folder.isEmpty()) {
      return; // the carrier's own folder is the companion's to make, at its first write
    }
    onPhone(() -> {
      http.makeFolder(folder);
      return null;
    });
  }

  @Override
  public void forceFolder(String folder) throws IOException {
    onPhone(() -> {
      http.forceFolder(folder);
      return null;
    });
  }

  @Override
  public void rename(String from, String to) throws IOException {
    onPhone(() -> {
      http.rename(from, to);
      return null;
    });
  }

  @Override
  public boolean link(String from, String to) throws IOException {
    return onPhone(() -> http.link(from, to));
  }

  @Override
  public void delete(String name) throws IOException {
    onPhone(() -> {
      http.delete(name);
      return null;
    });
  }

  @Override
  public Digest hash(String name, long length) throws IOException {
    return onPhone(() -> http.hash(name, length));
  }

  @Override
  public StorageLock lock(String owner) throws IOException {
    StorageLock held = onPhone(() -> http.lock(owner));
    return () -> onPhone(() -> {
      held.close();
      return null;
    });
  }

  @Override
  public Optional<VersionedManifest> readManifest() throws IOException {
    return onPhone(http::readManifest);
  }

  @Override
  public String replaceManifest(byte[] bytes, String expectedVersion) throws IOException {
    return onPhone(() -> http.replaceManifest(bytes, expectedVersion));
  }

  @Override
  public Optional<ServerSideImages> serverSide() {
    return http.serverSide()
        .map(
            images ->
                (top, into, below) -> onPhone(() -> {
                  images.merge(top, into, below);
                  return null;
                }));
  }

  /**
   * Closes the storage and removes the forward. A phone unplugged meanwhile took its forwards with
   * it (adb drops a device's forwards when it goes), so a removal that fails is no failure.
   */
  @Override
  public void close() {
    http.close();
    try {
      link.close();
    } catch (CarryonException e) {
      // The phone went: adb removed its forwards with it.
    }
  }

  /** One request to the companion. */
  private interface Request<T> {
    T run() throws IOException;
  }

  /** Runs {@code r}; an error the companion answered names the phone instead of the forward. */
  private <T> T onPhone(Request<T> r) throws IOException {
    try {
      return r.run();
    } catch (ProtocolException e) {
      throw new ProtocolException(e.code(), said(e.getMessage()), e.fields(), e);
    } catch (NoSuchFileException e) {
      NoSuchFileException named = new NoSuchFileException(said(e.getFile()), null, e.getReason());
      named.initCause(e);
      throw named;
    }
  }

  /** {@code message} with the forward's URL replaced by the carrier's phone name. */
  private String said(String message) {
    String shown = location() + "/";
    return message == null ? "phone " + link.name().serial() : message.replace(link.url(), shown);
  }
}
