package dev.carryon.carrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.client.ServerUnreachableException;
import dev.carryon.carrier.protocol.ProtocolException;
import dev.carryon.testdata.fuzz.FuzzChecks;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The carrier protocol's server core and client under a short seeded fuzzing run (bench/fuzz runs
 * them long), and the client's findings: each answer file makes the client refuse the server's
 * answer with an error naming the server's URL.
 */
class ProtocolFuzzTest {
  /** Where the client's regression inputs are, on the test class path. */
  private static final String CLIENT_REGRESSIONS = "/fuzz/protocol-client";

  /** Each client regression input: the error type and what its message must say. */
  private static final Map<String, Expected> CLIENT = Map.of(
      "info-not-json.http",
      new Expected(ProtocolException.class, "/api/v1/info: the server's answer is not the JSON object the protocol says"),
      "content-length-not-a-number.http",
      new Expected(ProtocolException.class, "/api/v1/files?dir=layers: the server's answer is malformed"),
      "stream-cut-short.http",
      new Expected(ServerUnreachableException.class, "/api/v1/files/layers/L3.qcow2: "),
      "stream-length-not-a-number.http",
      new Expected(ProtocolException.class, "/api/v1/files/layers/L3.qcow2: the server's answer is malformed"),
      "lock-id-climbs-out.http",
      new Expected(ProtocolException.class, "/api/v1/lock: the server's answer gives a lock id that is not 1 to 128"),
      "listing-names-a-file-outside.http",
      new Expected(ProtocolException.class, "lists a file '../../etc/passwd' of size -5 that cannot be a carrier's"),
      "manifest-version-with-spaces.http",
      new Expected(ProtocolException.class, "/api/v1/manifest: the server's answer gives a manifest version that is not"));

  /** An error a regression input must be refused with. */
  record Expected(Class<? extends IOException> type, String message) {}

  @TempDir Path dir;

  @Test
  void serverSmokeRun() throws Exception {
    FuzzChecks.smoke(new ProtocolServerFuzzTarget(), dir, 200);
  }

  @Test
  void clientSmokeRun() throws Exception {
    FuzzChecks.smoke(new ProtocolClientFuzzTarget(), dir, 60);
  }

  @Test
  void everyClientFindingIsRefusedNamingTheServer() throws Exception {
    assertEquals(new TreeSet<>(CLIENT.keySet()), new TreeSet<>(FuzzChecks.regressions(getClass(), CLIENT_REGRESSIONS)));
    ProtocolClientFuzzTarget target = new ProtocolClientFuzzTarget();
    target.seeds(dir.resolve("seeds"));
    for (Map.Entry<String, Expected> e : CLIENT.entrySet()) {
      Throwable t = FuzzChecks.refusal(target,
          FuzzChecks.regression(getClass(), CLIENT_REGRESSIONS, e.getKey(), ProtocolClientFuzzTarget.ANSWERS),
          dir.resolve(e.getKey()));
      assertInstanceOf(e.getValue().type(), t, e.getKey() + ": " + t);
      assertTrue(t.getMessage().startsWith("http://127.0.0.1:") || t.getMessage().startsWith("cannot reach the carrier server at http://127.0.0.1:"),
          e.getKey() + ": " + t.getMessage());
      assertTrue(t.getMessage().contains(e.getValue().message()), e.getKey() + ": " + t.getMessage());
    }
  }
}
