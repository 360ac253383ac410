package dev.carryon.carrier.protocol;

import dev.carryon.carrier.storage.VersionedManifest;
import java.io.IOException;
import java.io.UnsupportedEncodingException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The whole protocol for a server without a web framework (the phone's): routes a parsed {@link
 * WireRequest} to the {@link ServedCarrier} its path addresses, after the {@link RequestGuard}'s
 * checks, and turns every refusal into the protocol's error answer. It never throws: what the
 * server must do is write the {@link WireReply}. {@code carryon serve} routes with Jersey's
 * annotations instead and calls the same {@link ServedCarrier} methods.
 */
public final class ProtocolHandler {
  /** What is served. */
  private final CarrierRoot root;

  public ProtocolHandler(CarrierRoot root) {
    this.root = root;
  }

  /** The answer to {@code request}. */
  public WireReply handle(WireRequest request) {
    try {
      return route(request).header(Protocol.PROTOCOL_HEADER, Integer.toString(Protocol.VERSION));
    } catch (ProtocolException e) {
      return error(e);
    } catch (IOException | RuntimeException e) {
      return error(
          new ProtocolException(
              ErrorCode.IO_ERROR, request.method() + " " + request.rawPath() + ": " + e, e));
    }
  }

  /** The error answer of {@code e}. */
  public static WireReply error(ProtocolException e) {
    return WireReply.json(e.code().status(), WireJson.error(e))
        .header(Protocol.PROTOCOL_HEADER, Integer.toString(Protocol.VERSION));
  }

  private WireReply route(WireRequest r) throws IOException {
    CarrierRoot.Target target = root.resolve(r.rawPath());
    ServedCarrier c = target.carrier();
    String path = target.path();
    Map<String, String> query = query(r.rawQuery());
    String method = r.method();
    if (path.isEmpty()) {
      root.guard()
          .checkPageToken(r.header(Protocol.AUTHORIZATION), query.get(Protocol.TOKEN_QUERY), cookie(r));
      RequestGuard.checkVersion(r.header(Protocol.PROTOCOL_HEADER));
      allow(method, "GET");
      return page(c, query.get(Protocol.TOKEN_QUERY));
    }
    root.guard().checkToken(r.header(Protocol.AUTHORIZATION));
    RequestGuard.checkVersion(r.header(Protocol.PROTOCOL_HEADER));
    String lock = r.header(Protocol.LOCK_HEADER);
    if (path.equals(Protocol.INFO)) {
      allow(method, "GET");
      return WireReply.json(200, c.info());
    }
    if (path.equals(Protocol.MANIFEST)) {
      if (allow(method, "GET", "PUT").equals("GET")) {
        VersionedManifest m = c.manifest();
        return WireReply.bytes(200, "application/json", m.bytes())
            .header("ETag", "\"" + m.version() + "\"");
      }
      return WireReply.json(
          200,
          c.replaceManifest(
              lock, r.header("If-Match"), r.header("If-None-Match"), r.body(), r.contentLength()));
    }
    if (path.equals(Protocol.FILES)) {
      allow(method, "GET");
      return WireReply.json(200, c.list(query.get("dir"), query.get("dirs")));
    }
    if (path.startsWith(Protocol.FILES + "/")) {
      String name = path.substring(Protocol.FILES.length() + 1);
      switch (allow(method, "HEAD", "GET", "PUT")) {
        case "HEAD":
          return WireReply.head(c.size(name)).header("Accept-Ranges", "bytes");
        case "GET":
          ByteRange range = c.range(name, r.header("Range"));
          WireReply file =
              WireReply.streamed(range.partial() ? 206 : 200, range.length(), out -> c.send(name, range, out))
                  .header("Content-Type", "application/octet-stream")
                  .header("Accept-Ranges", "bytes");
          return range.partial() ? file.header("Content-Range", range.contentRange()) : file;
        default:
          c.write(lock, name, query.get("offset"), query.get("length"), query.get("ordered"),
              r.contentLength(), r.body());
          return WireReply.empty(204);
      }
    }
    if (path.equals(Protocol.OPS)) {
      allow(method, "POST");
      String answer = c.op(lock, r.body(), r.contentLength());
      return answer == null ? WireReply.empty(204) : WireReply.json(200, answer);
    }
    if (path.equals(Protocol.LOCK)) {
      allow(method, "POST");
      return WireReply.json(200, c.lock(r.body(), r.contentLength()));
    }
    if (path.startsWith(Protocol.LOCK + "/") && path.indexOf('/', Protocol.LOCK.length() + 1) < 0) {
      String id = path.substring(Protocol.LOCK.length() + 1);
      if (allow(method, "PUT", "DELETE").equals("PUT")) {
        return WireReply.json(200, c.renew(id));
      }
      c.release(id);
      return WireReply.empty(204);
    }
    throw new ProtocolException(
        ErrorCode.NOT_FOUND, "no such request path in protocol version 1: " + r.rawPath());
  }

  private WireReply page(ServedCarrier c, String queryToken) throws IOException {
    if (queryToken != null) {
      WireReply back = WireReply.empty(303).header("Location", c.prefix());
      return root.guard().isToken(queryToken)
          ? back.header(
              "Set-Cookie",
              Protocol.TOKEN_COOKIE + "=" + queryToken + "; Path=" + c.prefix()
                  + "; HttpOnly; SameSite=Strict")
          : back;
    }
    return WireReply.bytes(200, "text/html; charset=utf-8", c.page().getBytes(StandardCharsets.UTF_8))
        .header("Cache-Control", "no-store")
        .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  }

  /** {@code method} when it is one of {@code allowed}; else {@code 405}. */
  private static String allow(String method, String... allowed) throws ProtocolException {
    for (String a : allowed) {
      if (a.equals(method)) {
        return a;
      }
    }
    throw new ProtocolException(
        ErrorCode.METHOD_NOT_ALLOWED,
        "this path takes " + String.join(" or ", allowed) + ", not " + method);
  }

  private static String cookie(WireRequest r) {
    String header = r.header("Cookie");
    if (header == null) {
      return null;
    }
    for (String part : header.split(";")) {
      String p = part.trim();
      if (p.startsWith(Protocol.TOKEN_COOKIE + "=")) {
        return p.substring(Protocol.TOKEN_COOKIE.length() + 1);
      }
    }
    return null;
  }

  private static Map<String, String> query(String raw) throws ProtocolException {
    Map<String, String> q = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        q.put(URLDecoder.decode(key, "UTF-8"), URLDecoder.decode(value, "UTF-8"));
      } catch (UnsupportedEncodingException | IllegalArgumentException e) {
        throw new ProtocolException(ErrorCode.BAD_REQUEST, "query '" + raw + "' is malformed");
      }
    }
    return q;
  }
}
