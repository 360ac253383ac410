package dev.carryon.carrier.client;

/**
 * Ends the threads JDK {@link java.net.http.HttpClient}s run for themselves, for a process that
 * sends nothing more.
 *
 * <p>Why: a JVM that exits waits up to 300 ms for every thread in native code (HotSpot's {@code
 * VM_Exit}), and JDK 17's client has no {@code close}: its selector thread sits in {@code
 * epoll_wait} until the client is garbage. Every command over a link paid those 0.3 s after its
 * last request (measured: 330-380 ms from {@code System.exit} to the process's end, 20-70 ms once
 * the thread is gone). The selector's loop ends when its thread is interrupted; a request sent
 * after that waits forever, which is why only a process's exit may do it, not a storage's close.
 */
public final class ClientThreads {
  private ClientThreads() {}

  /**
   * Stops the threads of every HTTP client of this process, so that its exit does not wait 0.3 s
   * for them: only for a process about to exit, as any request after it waits forever.
   */
  public static void endOfProcess() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] threads = new Thread[root.activeCount() + 16];
    int n = root.enumerate(threads, true);
    for (int i = 0; i < n; i++) {
      // As JDK 17 (and 21) name a client's selector thread: HttpClient-7-SelectorManager.
      String name = threads[i].getName();
      if (name.startsWith("HttpClient-") && name.endsWith("-SelectorManager")) {
        threads[i].interrupt();
      }
    }
  }
}
