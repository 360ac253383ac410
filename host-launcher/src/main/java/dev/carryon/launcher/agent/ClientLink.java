package dev.carryon.launcher.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The agent's side of one launcher script's connection, once its request is read: what the
 * command writes to stdout and stderr, sent as frames ({@code out N\n} or {@code err N\n}, then N
 * bytes, which the script copies to its own stdout or stderr), a passphrase asked on the script's
 * terminal ({@code ask N\n} and the prompt; the script answers one line), and the end: {@code exit
 * CODE\n}. Before all of it {@code run\n}, the request taken, which the script confirms with
 * {@code go\n}; or instead {@code declined REASON\n}, a request not run (the script then runs the
 * command itself). A script gone (Ctrl-C)
 * stops nothing: the command runs to its end, as a carrier protocol step must, and its output is
 * dropped.
 */
public final class ClientLink {
  /** Longest answer to a question: a passphrase's longest line. */
  private static final int MAX_ANSWER = 4096;

  private final OutputStream wire;
  private final InputStream answers;
  private boolean gone;

  ClientLink(OutputStream wire, InputStream answers) {
    this.wire = wire;
    this.answers = answers;
  }

  /** The command's stdout. */
  public OutputStream out() {
    return new Framed("out");
  }

  /** The command's stderr. */
  public OutputStream err() {
    return new Framed("err");
  }

  /**
   * A line typed on the script's terminal without echo after {@code prompt}, or null when the
   * script is gone or sent nothing.
   */
  public synchronized char[] askHidden(String prompt) {
    byte[] asked = prompt.getBytes(StandardCharsets.UTF_8);
    byte[] bytes = send("ask", asked, 0, asked.length) ? answer(MAX_ANSWER) : null;
    if (bytes == null) {
      return null;
    }
    CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
    char[] answer = new char[chars.remaining()];
    chars.get(answer);
    Arrays.fill(bytes, (byte) 0);
    Arrays.fill(chars.array(), '\0');
    return answer;
  }

  /**
   * Offers to run the command ({@code run}) and waits for the script's {@code go}: true once both
   * sides know the agent runs it. A script that stopped waiting for the agent (busy with another
   * command) runs the command itself and answers nothing: then false, and the command must not
   * run twice.
   */
  synchronized boolean run() {
    line("run");
    byte[] answer = answer(2);
    return answer != null && new String(answer, StandardCharsets.US_ASCII).equals("go");
  }

  /**
   * The script's next line, without its end, of at most {@code max} bytes; null when the script
   * is gone or the line is longer.
   */
  private byte[] answer(int max) {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    try {
      for (int b = answers.read(); b != '\n'; b = answers.read()) {
        if (b < 0 || line.size() == max) {
          return null;
        }
        line.write(b);
      }
    } catch (IOException e) {
      gone = true;
      return null;
    }
    return line.toByteArray();
  }

  /** Ends the exchange: the command ran and exited with {@code code}. */
  synchronized void exit(int code) {
    line("exit " + code);
  }

  /** Ends the exchange: the command was not run, for {@code reason}; the script runs it. */
  synchronized void decline(String reason) {
    line("declined " + reason.replace('\n', ' '));
  }

  private void line(String line) {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    if (!gone) {
      try {
        wire.write(bytes);
        wire.flush();
      } catch (IOException e) {
        gone = true;
      }
    }
  }

  /** Sends a frame; false once the script is gone. */
  private synchronized boolean send(String kind, byte[] b, int off, int len) {
    if (gone) {
      return false;
    }
    try {
      wire.write((kind + " " + len + "\n").getBytes(StandardCharsets.US_ASCII));
      wire.write(b, off, len);
      wire.flush();
      return true;
    } catch (IOException e) {
      gone = true;
      return false;
    }
  }

  /** One of the command's output streams, each write a frame. */
  private final class Framed extends OutputStream {
    private final String kind;

    Framed(String kind) {
      this.kind = kind;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (len > 0) {
        send(kind, b, off, len);
      }
    }
  }
}
