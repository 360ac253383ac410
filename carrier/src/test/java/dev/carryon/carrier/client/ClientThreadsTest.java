package dev.carryon.carrier.client;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.ref.Reference;
import java.net.http.HttpClient;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The process's end stops the JDK clients' own threads, which its exit would otherwise wait for. */
class ClientThreadsTest {
  @Test
  void theClientsSelectorThreadEnds() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    List<Thread> selectors =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().matches("HttpClient-\\d+-SelectorManager"))
            .collect(Collectors.toList());
    assertFalse(selectors.isEmpty(), "no selector thread found: the JDK names it otherwise now");
    ClientThreads.endOfProcess();
    for (Thread t : selectors) {
      t.join(30_000);
      assertFalse(t.isAlive(), t.getName() + " still runs");
    }
    // Held to the end: a client that is garbage ends its thread by itself, and proves nothing.
    Reference.reachabilityFence(client);
  }
}
