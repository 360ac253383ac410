package dev.carryon.launcher.cli;

import sun.misc.Signal;

/**
 * Ctrl-C and SIGTERM as a request to finish properly rather than a kill: the handler runs instead
 * of the JVM's default exit, so a foreground session can still save its guest.
 */
final class Interrupts {
  private Interrupts() {}

  static void onInterrupt(Runnable handler) {
    Signal.handle(new Signal("INT"), s -> handler.run());
    Signal.handle(new Signal("TERM"), s -> handler.run());
  }
}
