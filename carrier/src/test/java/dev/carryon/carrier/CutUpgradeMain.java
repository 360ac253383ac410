package dev.carryon.carrier;

import java.nio.file.Path;

/**
 * The write-open the upgrade crash test cuts, run in a child JVM: {@code CutUpgradeMain CARRIER}.
 * The {@code CARRYON_CUT_*} environment makes it halt at one write point (see WritePoints).
 */
public final class CutUpgradeMain {
  private CutUpgradeMain() {}

  public static void main(String[] args) throws Exception {
    Fixtures.openForWrite(Path.of(args[0])).close();
  }
}
