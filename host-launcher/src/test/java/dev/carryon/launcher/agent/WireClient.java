package dev.carryon.launcher.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The launcher script's side of the agent's wire, in Java, for tests that send what the script
 * never would (a wrong token, a terminal, answers to questions) or read the frames themselves.
 */
final class WireClient {
  /** What the agent answered: run or declined, the frames' text, the exit code or -1. */
  record Answer(String first, String out, String err, List<String> asked, int exit) {}

  private WireClient() {}

  /** The request's fields as the script sends them. */
  static byte[] request(
      String token, String cwd, String ttys, Map<String, String> env, List<String> args) {
    List<String> fields = new ArrayList<>(List.of(AgentRequest.MAGIC, token, cwd, ttys, Integer.toString(env.size())));
    env.forEach((k, v) -> fields.add(k + "=" + v));
    fields.add(Integer.toString(args.size()));
    fields.addAll(args);
    return raw(fields);
  }

  /** {@code fields}, each ended by a NUL byte. */
  static byte[] raw(List<String> fields) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (String f : fields) {
      b.writeBytes(f.getBytes(StandardCharsets.UTF_8));
      b.write(0);
    }
    return b.toByteArray();
  }

  /** Sends {@code request} to the agent on {@code port}, answering its questions with {@code answers}. */
  static Answer send(int port, byte[] request, List<String> answers) throws IOException {
    Deque<String> left = new ArrayDeque<>(answers);
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(300_000);
      OutputStream o = s.getOutputStream();
      o.write(request);
      o.flush();
      InputStream in = s.getInputStream();
      String first = line(in);
      StringBuilder out = new StringBuilder();
      StringBuilder err = new StringBuilder();
      List<String> asked = new ArrayList<>();
      if (!"run".equals(first)) {
        return new Answer(first, "", "", asked, -1);
      }
      o.write("go\n".getBytes(StandardCharsets.US_ASCII));
      o.flush();
      for (String head = line(in); head != null; head = line(in)) {
        if (head.startsWith("exit ")) {
          return new Answer(first, out.toString(), err.toString(), asked, Integer.parseInt(head.substring(5)));
        }
        String kind = head.substring(0, 3);
        String body = new String(in.readNBytes(Integer.parseInt(head.substring(4))), StandardCharsets.UTF_8);
        switch (kind) {
          case "out" -> out.append(body);
          case "err" -> err.append(body);
          case "ask" -> {
            asked.add(body);
            o.write(((left.isEmpty() ? "" : left.pop()) + "\n").getBytes(StandardCharsets.UTF_8));
            o.flush();
          }
          default -> throw new IOException("unknown frame " + head);
        }
      }
      return new Answer(first, out.toString(), err.toString(), asked, -1);
    }
  }

  /** Sends {@code request} and hangs up without a word: a script that stopped waiting. */
  static void sendAndLeave(int port, byte[] request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
    }
  }

  /** One line, without its end; null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
      }
      b.write(c);
    }
    return b.toString(StandardCharsets.UTF_8);
  }
}
