package dev.carryon.launcher.session;

import dev.carryon.carrier.HostIdentity;
import dev.carryon.launcher.host.HostCatalog;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.host.NativeLibraries;
import java.io.IOException;

/** This host as one command sees it: its folder, its catalog and the identity it leases with. */
public final class Host implements AutoCloseable {
  /** This host's carryon folder. */
  final HostHome home;
  /** This host's catalog of sessions, open for the command's life. */
  final HostCatalog catalog;
  /** The id and name a lease taken from here carries. */
  final HostIdentity identity;

  private Host(HostHome home, HostCatalog catalog, HostIdentity identity) {
    this.home = home;
    this.catalog = catalog;
    this.identity = identity;
  }

  /** This host as {@link HostHome#locate()} finds it. */
  public static Host open() throws IOException {
    return open(HostHome.locate());
  }

  public static Host open(HostHome home) throws IOException {
    NativeLibraries.useCacheIn(home);
    HostCatalog catalog = HostCatalog.open(home);
    try {
      return new Host(home, catalog, new HostIdentity(catalog.hostId(), HostCatalog.hostName()));
    } catch (IOException | RuntimeException e) {
      catalog.close();
      throw e;
    }
  }

  public HostHome home() {
    return home;
  }

  public HostIdentity identity() {
    return identity;
  }

  public HostCatalog catalog() {
    return catalog;
  }

  @Override
  public void close() throws IOException {
    catalog.close();
  }
}
