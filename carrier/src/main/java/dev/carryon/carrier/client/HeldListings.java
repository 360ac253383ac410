package dev.carryon.carrier.client;

import dev.carryon.carrier.storage.StoredFile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Folder listings a client keeps while it holds the carrier's write lock. No one else may change
 * the carrier then, so a listing stays true until this client changes that folder itself: a command
 * lists a folder once, and reads the size of a file there from the listing instead of asking (each
 * question a request, some milliseconds over a link, more behind a transfer).
 *
 * <p>A change is announced before its request is sent and again once it is answered, cut or not
 * ({@link #changing}, {@link #changed}): the folder's listing is dropped both times, and a listing
 * fetched while a change of its folder was under way is not kept ({@link #stamp}, {@link #keep}),
 * since it may show the folder before or after that change.
 */
final class HeldListings {
  /** Stands for every folder: a change whose folders the client cannot name (a server's merge). */
  static final String EVERY_FOLDER = "*";

  /** Listings kept, by folder ({@code ""} is the carrier's own). */
  private final Map<String, List<StoredFile>> listed = new HashMap<>();
  /** Changes under way, by folder. */
  private final Map<String, Integer> underWay = new HashMap<>();
  /** Bumped at every change's start and end, by folder. */
  private final Map<String, Long> versions = new HashMap<>();
  /** True while the write lock is held. */
  private boolean held;

  /** The write lock was taken: listings may be kept from now on. */
  synchronized void lockTaken() {
    listed.clear();
    held = true;
  }

  /** The write lock was released or lost: nothing kept is sure any more. */
  synchronized void lockGone() {
    listed.clear();
    held = false;
  }

  /** The listing of {@code folder} kept, or null. */
  synchronized List<StoredFile> get(String folder) {
    return quiet(folder) ? listed.get(folder) : null;
  }

  /**
   * The size of the file {@code name} from its folder's listing: empty when the listing lacks it;
   * null when no listing of its folder is kept.
   */
  synchronized OptionalLong size(String name) {
    List<StoredFile> files = get(folderOf(name));
    if (files == null) {
      return null;
    }
    for (StoredFile f : files) {
      if (f.name().equals(name)) {
        return OptionalLong.of(f.size());
      }
    }
    return OptionalLong.empty();
  }

  /** True when a listing of {@code folder} is kept and names at least one file: the folder exists. */
  synchronized boolean exists(String folder) {
    List<StoredFile> files = get(folder);
    return files != null && !files.isEmpty();
  }

  /** Taken before a listing of {@code folder} is fetched; null when it could not be kept anyway. */
  synchronized Long stamp(String folder) {
    return quiet(folder) ? version(folder) + version(EVERY_FOLDER) : null;
  }

  /** Keeps a listing of {@code folder} fetched since {@code stamp}, unless the folder changed since. */
  synchronized void keep(String folder, Long stamp, List<StoredFile> files) {
    if (stamp != null && quiet(folder) && stamp == version(folder) + version(EVERY_FOLDER)) {
      listed.put(folder, List.copyOf(files));
    }
  }

  /** A change of {@code folders} is about to be sent. */
  synchronized void changing(String... folders) {
    for (String f : folders) {
      underWay.merge(f, 1, Integer::sum);
      bump(f);
    }
  }

  /** A change announced with {@link #changing} was answered, or failed. */
  synchronized void changed(String... folders) {
    for (String f : folders) {
      underWay.merge(f, -1, (a, b) -> a + b == 0 ? null : a + b);
      bump(f);
    }
  }

  /** The folder of the file {@code name} ({@code ""} for the carrier's own). */
  static String folderOf(String name) {
    int slash = name.lastIndexOf('/');
    return slash < 0 ? "" : name.substring(0, slash);
  }

  private boolean quiet(String folder) {
    return held && !underWay.containsKey(folder) && !underWay.containsKey(EVERY_FOLDER);
  }

  private long version(String folder) {
    return versions.getOrDefault(folder, 0L);
  }

  private void bump(String folder) {
    versions.merge(folder, 1L, Long::sum);
    if (folder.equals(EVERY_FOLDER)) {
      listed.clear();
    } else {
      listed.remove(folder);
    }
  }
}
