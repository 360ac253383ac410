package dev.carryon.launcher.phone;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.CarrierException;
import dev.carryon.carrier.FileRecord;
import dev.carryon.carrier.Manifest;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.Digest;
import dev.carryon.carrier.storage.StorageLock;
import dev.carryon.carrier.storage.VersionedManifest;
import dev.carryon.launcher.cli.CarryonException;
import dev.carryon.launcher.cli.ExitCodes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;

/**
 * A copy of a carrier onto another storage (a folder carrier onto a phone): every file the
 * manifest records, each checked by the destination's own hash of what it holds, then the manifest
 * last, so the destination is a carrier only once all of it is there. A copy that was cut leaves
 * files and no manifest; the next one keeps every file already whole and continues a file cut
 * short from where the destination's copy stops, once the destination's hash of that prefix
 * matches the source's.
 */
public final class CarrierPush {
  /** Bytes copied per write. */
  private static final int BUFFER = 1 << 20;

  /** What a push did. */
  public record Pushed(int files, long bytesSent, long bytesKept, boolean already) {}

  /** Told the bytes done of the bytes to do. */
  @FunctionalInterface
  public interface Progress {
    void update(long done, long total);
  }

  private CarrierPush() {}

  /**
   * Copies the carrier in {@code from} to {@code to}.
   *
   * @throws CarryonException when the source is leased (a copy of a running session would split
   *     it), or the destination already holds another carrier
   */
  public static Pushed push(CarrierStorage from, CarrierStorage to, Progress progress)
      throws IOException {
    Manifest m;
    SortedMap<String, FileRecord> files;
    VersionedManifest bytes;
    try (Carrier source = Carrier.open(from)) {
      m = source.manifest();
      files = source.filesOfACopy();
      bytes = from.readManifest().orElseThrow(() -> new CarrierException(from.location() + ": no manifest"));
    }
    if (m.lease() != null) {
      throw new CarryonException(
          ExitCodes.REFUSED,
          from.location() + " is leased by " + m.lease().describe() + ": end that session first"
              + " (a copy of a carrier in use would split its session)");
    }
    try (StorageLock lock = to.lock("carryon phone push")) {
      Optional<VersionedManifest> there = to.readManifest();
      if (there.isPresent()) {
        if (there.get().version().equals(bytes.version())) {
          return new Pushed(files.size(), 0, 0, true);
        }
        throw new CarryonException(
            ExitCodes.REFUSED,
            to.location() + " already holds a carrier (not this one as it is now): push under"
                + " another name, or remove that one first");
      }
      long total = 0;
      for (FileRecord r : files.values()) {
        total += r.size();
      }
      long done = 0;
      long sent = 0;
      long kept = 0;
      Set<String> folders = new HashSet<>();
      for (Map.Entry<String, FileRecord> e : files.entrySet()) {
        String name = e.getKey();
        FileRecord r = e.getValue();
        int slash = name.indexOf('/');
        if (slash > 0 && folders.add(name.substring(0, slash))) {
          to.makeFolder(name.substring(0, slash));
        }
        long have = usablePrefix(from, to, name, r);
        kept += have;
        progress.update(done + have, total);
        long copied = copy(from, to, name, have, r.size(), done, total, progress);
        sent += copied;
        done += r.size();
        to.force(name);
        Digest d = to.hash(name, -1);
        if (d.size() != r.size() || !d.sha256().equals(r.sha256())) {
          to.delete(name);
          throw new CarrierException(
              to.location() + ": " + name + " holds " + d.size() + " bytes with SHA-256 "
                  + d.sha256() + " after the copy, not the " + r.size() + " bytes with "
                  + r.sha256() + " of " + from.location() + " (dropped: the next push sends it"
                  + " again)");
        }
      }
      for (String folder : folders) {
        to.forceFolder(folder);
      }
      to.forceFolder("");
      // The commit point: with the manifest there, the destination is the carrier.
      to.replaceManifest(bytes.bytes(), null);
      return new Pushed(files.size(), sent, kept, false);
    }
  }

  /**
   * The bytes of {@code name} the destination already holds as the source has them: all of it
   * when whole, a prefix left by a cut push when the destination's hash of it matches, else 0.
   */
  private static long usablePrefix(
      CarrierStorage from, CarrierStorage to, String name, FileRecord r) throws IOException {
    long size = to.size(name).orElse(-1);
    if (size <= 0 || size > r.size()) {
      return 0;
    }
    Digest there = to.hash(name, size);
    if (size == r.size()) {
      return there.sha256().equals(r.sha256()) ? size : 0;
    }
    try (InputStream in = from.openRead(name, 0)) {
      return Digest.of(in, size, from.location() + ": " + name).sha256().equals(there.sha256())
          ? size
          : 0;
    }
  }

  /** Copies bytes {@code start} to {@code end} of {@code name}; the count copied. */
  private static long copy(
      CarrierStorage from,
      CarrierStorage to,
      String name,
      long start,
      long end,
      long before,
      long total,
      Progress progress)
      throws IOException {
    if (start == 0 && to.size(name).isPresent()) {
      to.truncate(name, 0);
    }
    long at = start;
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = from.openRead(name, start);
        OutputStream out = to.openWrite(name, start)) {
      while (at < end) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, end - at));
        if (n < 0) {
          throw new CarrierException(
              from.location() + ": " + name + " ends at " + at + " bytes, before the " + end
                  + " its manifest records");
        }
        out.write(buffer, 0, n);
        at += n;
        progress.update(before + at, total);
      }
    }
    return at - start;
  }
}
