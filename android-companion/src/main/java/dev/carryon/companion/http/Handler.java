package dev.carryon.companion.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** What a request means: the server frames requests and responses, a handler answers them. */
public interface Handler {
  /**
   * Answers {@code request} through {@code response}, reading the body as needed. Runs on one of
   * the server's connection threads, several at once. An exception thrown before the response
   * started is answered through {@link #error} with a 500; after, the connection is closed.
   */
  void handle(HttpRequest request, HttpResponse response) throws IOException;

  /**
   * Answers a request the server could not read ({@code status} 400 or 417) or that {@link
   * #handle} failed on before answering (500), in the handler's error format. {@code request} is
   * null when not even the request line could be read.
   */
  default void error(HttpRequest request, HttpResponse response, int status, String message)
      throws IOException {
    response.send(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
  }
}
