package dev.carryon.launcher.session;

import static dev.carryon.launcher.session.SessionKit.fingerprint;
import static dev.carryon.launcher.session.SessionKit.host;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.CarrierFiles;
import dev.carryon.launcher.cli.ExitCodes;
import dev.carryon.launcher.session.SessionKit.TestHost;
import dev.carryon.testdata.ConsoleLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crafted carrier must not reach host files (issue 9): what it asks of QEMU beyond what carryon
 * writes is refused before QEMU starts, with exit 3 and the field named, and the QEMU that does
 * start runs in its seccomp sandbox.
 */
class UntrustedCarrierTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path root;
  /** A fresh carrier of the test guest (generation 1, cold boot); tests work on copies. */
  private static Path made;
  private static TestHost host;

  @BeforeAll
  static void makeCarrier() throws Exception {
    host = host(root, "host");
    made = SessionKit.initCarrier(host, root.resolve("made"));
  }

  @AfterAll
  static void noQemuLeft() throws Exception {
    SessionKit.assertNoQemuLeft(root);
  }

  private static Path copy(String name) throws Exception {
    return SessionKit.copyCarrier(made, name);
  }

  @Test
  void aLoaderDeviceReadingAHostFileIsRefusedBeforeQemuStarts() throws Exception {
    Path carrier = copy("loader");
    Path manifest = carrier.resolve(CarrierFiles.MANIFEST);
    ObjectNode o = (ObjectNode) JSON.readTree(manifest.toFile());
    ((ObjectNode) o.get("vm"))
        .putArray("extraDevices")
        .add("loader,file=/etc/shadow,addr=0x1000000,force-raw=on");
    Files.writeString(manifest, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    Map<String, String> before = fingerprint(carrier);

    String refusal = badInputRefusal(carrier);
    assertTrue(
        refusal.contains(manifest + ": vm: extraDevices[0] (loader,file=/etc/shadow,"),
        refusal);
    assertTrue(refusal.contains("is not a device type carryon makes"), refusal);
    assertEquals(List.of(), SessionKit.qemusUnder(carrier), "no QEMU was started");
    assertEquals(before, fingerprint(carrier), "nothing was written to the carrier");
  }

  @Test
  void aCarrierFileLeadingOutOfTheCarrierIsRefused() throws Exception {
    Path carrier = copy("linked");
    // Same bytes, so the checksum holds: only where the file really is gives it away.
    Path outside = Files.copy(carrier.resolve(CarrierFiles.KERNEL), root.resolve("outside-vmlinuz"));
    Files.delete(carrier.resolve(CarrierFiles.KERNEL));
    Files.createSymbolicLink(carrier.resolve(CarrierFiles.KERNEL), outside);
    Map<String, String> before = fingerprint(carrier);

    String refusal = badInputRefusal(carrier);
    assertTrue(
        refusal.contains(carrier.resolve(CarrierFiles.KERNEL) + " leads out of the carrier, to "
            + outside.toRealPath()),
        refusal);
    assertEquals(before, fingerprint(carrier));
    assertEquals("none", host.status(carrier).path("session").asText("none"), "no lease left");
  }

  /** The one line of a resume of {@code carrier} refused as bad input (exit 3). */
  private static String badInputRefusal(Path carrier) throws Exception {
    return host.run("resume", carrier.toString(), "--detach").expect(ExitCodes.BAD_INPUT).errorLine();
  }

  @Test
  void theResumedQemuRunsInItsSeccompSandbox() throws Exception {
    Path carrier = copy("sandboxed");
    Path console = root.resolve("sandboxed.log");
    host.resume(carrier, console);
    SessionKit.firstTick(new ConsoleLog(console));
    List<Long> qemus = SessionKit.qemusUnder(carrier);
    assertEquals(1, qemus.size(), qemus.toString());
    String status = Files.readString(Path.of("/proc", qemus.get(0).toString(), "status"));
    assertTrue(status.contains("\nSeccomp:\t2\n"), "seccomp filter mode:\n" + status);
    host.run("end", carrier.toString(), "--discard").expect(0);
  }
}
