package dev.carryon.launcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A request is read field by field, bounded, and refused with the reason when it is not one. */
class AgentRequestTest {
  private static final String TOKEN = "t".repeat(64);

  @Test
  void readsWhatTheScriptSends() throws Exception {
    AgentRequest r = read(WireClient.request(TOKEN, "/home/me", "101",
        Map.of("HOME", "/home/me", "EMPTY", ""), List.of("resume", "a b", "--detach")));
    assertEquals("/home/me", r.cwd());
    assertTrue(r.stdinTty() && !r.stdoutTty() && r.stderrTty());
    assertEquals(Map.of("HOME", "/home/me", "EMPTY", ""), r.environment());
    assertEquals(List.of("resume", "a b", "--detach"), r.args());
  }

  @Test
  void comparesEnvironmentsButForWhatShellsChange() throws Exception {
    AgentRequest r = read(WireClient.request(TOKEN, "/", "000",
        Map.of("PATH", "/bin", "PWD", "/x", "SHLVL", "2", "LANG", "C"), List.of("end")));
    assertEquals(List.of(), r.differences(Map.of("PATH", "/bin", "PWD", "/y", "_", "/usr/bin/java", "LANG", "C")));
    assertEquals(List.of("PATH", "LANG"), r.differences(Map.of("PATH", "/usr/bin")));
  }

  @Test
  void refusesWhatIsNoRequest() {
    assertRefused("not a carryon agent request (or another version): starts \"GET / HTTP/1.1\"",
        WireClient.raw(List.of("GET / HTTP/1.1")));
    assertRefused("wrong token",
        WireClient.request("u".repeat(64), "/", "000", Map.of(), List.of("end")));
    assertRefused("terminal flags \"yes\" are not three of 0 and 1",
        WireClient.request(TOKEN, "/", "yes", Map.of(), List.of("end")));
    assertRefused("environment entry \"=x\" has no NAME=",
        WireClient.raw(List.of(AgentRequest.MAGIC, TOKEN, "/", "000", "1", "=x", "0")));
    assertRefused("number of arguments \"-1\" is not 0 to 4096",
        WireClient.raw(List.of(AgentRequest.MAGIC, TOKEN, "/", "000", "0", "-1")));
    assertRefused("number of environment \"99999\" is not 0 to 4096",
        WireClient.raw(List.of(AgentRequest.MAGIC, TOKEN, "/", "000", "99999")));
    assertRefused("its argument is longer than 65536 bytes",
        WireClient.request(TOKEN, "/", "000", Map.of(), List.of("x".repeat(AgentRequest.MAX_FIELD + 1))));
    List<String> many = new ArrayList<>(Collections.nCopies(AgentRequest.MAX_ENTRIES, "y".repeat(2000)));
    assertRefused("the request is longer than 4194304 bytes",
        WireClient.request(TOKEN, "/", "000", Map.of(), many));
  }

  @Test
  void aRequestCutShortSaysWhere() {
    byte[] whole = WireClient.request(TOKEN, "/", "000", Map.of(), List.of("end", "carrier"));
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 3);
    EOFException e = assertThrows(EOFException.class, () -> read(cut));
    assertEquals("the request ends inside its argument", e.getMessage());
  }

  private static void assertRefused(String message, byte[] request) {
    AgentException e = assertThrows(AgentException.class, () -> read(request));
    assertEquals(message, e.getMessage());
  }

  private static AgentRequest read(byte[] request) throws Exception {
    return AgentRequest.read(new ByteArrayInputStream(request), TOKEN);
  }
}
