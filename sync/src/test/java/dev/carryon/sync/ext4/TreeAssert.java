package dev.carryon.sync.ext4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Compares a guest tree with the host tree it was built from, entry by entry. */
public final class TreeAssert {
  private TreeAssert() {}

  /** Asserts that {@code guest} in {@code fs} matches {@code host}; returns the entries seen. */
  public static int assertSameTree(Path host, Ext4Filesystem fs, String guest) throws IOException {
    Ext4File f = fs.lookupNoFollow(guest);
    PosixFileAttributes a =
        Files.readAttributes(host, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!guest.equals("/")) { // mke2fs -d stamps the root with the time it ran
      assertEquals(a.lastModifiedTime().toInstant().getEpochSecond(),
          f.lastModified().getEpochSecond(), guest + " mtime");
    }
    assertEquals(Files.getAttribute(host, "unix:uid", LinkOption.NOFOLLOW_LINKS),
        (int) f.uid(), guest + " uid");
    assertEquals(Files.getAttribute(host, "unix:gid", LinkOption.NOFOLLOW_LINKS),
        (int) f.gid(), guest + " gid");
    if (!a.isSymbolicLink()) {
      assertEquals(mode(a.permissions()), f.permissions(), guest + " permissions");
    }
    if (a.isSymbolicLink()) {
      assertEquals(FileType.SYMLINK, f.type(), guest);
      assertEquals(Files.readSymbolicLink(host).toString(), fs.readLink(f), guest + " target");
      return 1;
    }
    if (a.isRegularFile()) {
      assertEquals(FileType.REGULAR, f.type(), guest);
      assertEquals(a.size(), f.size(), guest + " size");
      assertSameContent(host, fs, f, guest);
      return 1;
    }
    if (a.isOther()) {
      assertEquals(FileType.FIFO, f.type(), guest);
      return 1;
    }
    assertEquals(FileType.DIRECTORY, f.type(), guest);
    Set<String> hostNames = new TreeSet<>();
    try (var list = Files.list(host)) {
      list.forEach(p -> hostNames.add(p.getFileName().toString()));
    }
    hostNames.remove("lost+found");
    List<String> guestNames = new ArrayList<>();
    for (Ext4Entry e : fs.list(f)) {
      if (!(guest.equals("/") && e.name().equals("lost+found"))) {
        guestNames.add(e.name());
      }
    }
    assertEquals(hostNames, new TreeSet<>(guestNames), guest + " entries");
    assertEquals(hostNames.size(), guestNames.size(), guest + " has duplicate entries");
    int seen = 1;
    for (String name : hostNames) {
      seen += assertSameTree(host.resolve(name), fs, guest.endsWith("/") ? guest + name
          : guest + "/" + name);
    }
    return seen;
  }

  /** Streams both files in chunks: sparse.bin is too big to hold twice. */
  static void assertSameContent(Path host, Ext4Filesystem fs, Ext4File f, String what)
      throws IOException {
    try (InputStream expected = Files.newInputStream(host); InputStream actual = fs.open(f)) {
      long at = 0;
      while (true) {
        byte[] e = expected.readNBytes(1 << 16);
        byte[] g = actual.readNBytes(1 << 16);
        assertArrayEquals(e, g, what + " bytes from " + at);
        if (e.length == 0) {
          break;
        }
        at += e.length;
      }
    }
  }

  static int mode(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission p : perms) {
      mode |= 0400 >> p.ordinal();
    }
    return mode;
  }
}
