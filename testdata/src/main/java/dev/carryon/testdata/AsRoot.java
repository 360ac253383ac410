package dev.carryon.testdata;

import java.util.ArrayList;
import java.util.List;

/**
 * Commands that need root (losetup, mount, LVM's tools): run directly when the tests run as root,
 * else through {@code sudo -n}, which fails at once, with sudo's message, without a password.
 */
public final class AsRoot {
  private AsRoot() {}

  /** {@code command} prefixed with what it takes to run it as root here. */
  public static List<String> command(String... command) {
    List<String> cmd = new ArrayList<>();
    if (!"root".equals(System.getProperty("user.name"))) {
      cmd.addAll(List.of("sudo", "-n"));
    }
    cmd.addAll(List.of(command));
    return cmd;
  }
}
