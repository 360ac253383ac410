package dev.carryon.carrier.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.storage.Digest;
import dev.carryon.carrier.storage.FolderStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * {@code POST ops}: one operation per request, a JSON object naming it in {@code "op"}. Every
 * operation but {@code hash} changes the carrier and needs the lock. Unknown fields are refused, so
 * a typo never turns into a different operation.
 */
final class Operations {
  private Operations() {}

  /** Runs {@code request} on {@code carrier}; returns the answer's JSON, or null for none. */
  static String run(ServedCarrier carrier, String lockId, ObjectNode request) throws IOException {
    String op = WireJson.text(request, "op", "operation");
    String what = "operation " + op;
    FolderStorage s = carrier.storage();
    switch (op) {
      case "hash":
        {
          fields(request, what, "name", "length");
          String name = file(request, "name", what);
          long length = WireJson.number(request, "length", -1, Protocol.MAX_FILE_SIZE, what);
          Digest d = hash(carrier, name, length);
          ObjectNode o = WireJson.object();
          o.put("size", d.size());
          o.put("sha256", d.sha256());
          return WireJson.write(o);
        }
      case "truncate":
        {
          fields(request, what, "name", "size");
          String name = file(request, "name", what);
          long size = WireJson.number(request, "size", 0, Protocol.MAX_FILE_SIZE, what);
          try (LockTable.InFlight use = carrier.useLock(lockId)) {
            carrier.apply(name, () -> {
              s.truncate(name, size);
              return null;
            });
          }
          return null;
        }
      case "force":
        {
          fields(request, what, "name");
          String name = file(request, "name", what);
          try (LockTable.InFlight use = carrier.useLock(lockId)) {
            carrier.apply(name, () -> {
              s.force(name);
              return null;
            });
          }
          return null;
        }
      case "mkdir":
      case "force-folder":
        {
          fields(request, what, "folder");
          String folder = WireJson.text(request, "folder", what);
          ServedCarrier.checkName(folder, true);
          if (op.equals("mkdir") && folder.isEmpty()) {
            throw new ProtocolException(ErrorCode.BAD_NAME, what + ": no folder named");
          }
          try (LockTable.InFlight use = carrier.useLock(lockId)) {
            carrier.apply(folder.isEmpty() ? "the carrier folder" : folder, () -> {
              if (op.equals("mkdir")) {
                s.makeFolder(folder);
              } else {
                s.forceFolder(folder);
              }
              return null;
            });
          }
          return null;
        }
      case "rename":
      case "link":
        {
          fields(request, what, "from", "to");
          String from = file(request, "from", what);
          String to = file(request, "to", what);
          boolean linked;
          try (LockTable.InFlight use = carrier.useLock(lockId)) {
            linked =
                carrier.apply(from, () -> {
                  if (op.equals("rename")) {
                    s.rename(from, to);
                    return true;
                  }
                  return s.link(from, to);
                });
          }
          if (op.equals("rename")) {
            return null;
          }
          ObjectNode o = WireJson.object();
          o.put("linked", linked);
          return WireJson.write(o);
        }
      case "delete":
        {
          fields(request, what, "name");
          String name = file(request, "name", what);
          try (LockTable.InFlight use = carrier.useLock(lockId)) {
            carrier.apply(name, () -> {
              s.delete(name);
              return null;
            });
          }
          return null;
        }
      case "merge":
        {
          fields(request, what, "top", "into", "below");
          String top = file(request, "top", what);
          String into = file(request, "into", what);
          List<String> below = names(request, "below", what);
          try (LockTable.InFlight use = carrier.useLock(lockId)) {
            carrier.apply(into, () -> {
              ServerMerge.merge(s, top, into, below);
              return null;
            });
          }
          return null;
        }
      default:
        throw new ProtocolException(
            ErrorCode.NOT_SUPPORTED, "operation '" + op + "' is not offered by this server");
    }
  }

  private static Digest hash(ServedCarrier carrier, String name, long length) throws IOException {
    long size = carrier.size(name);
    if (length > size) {
      throw new ProtocolException(
          ErrorCode.RANGE_NOT_SATISFIABLE,
          name + ": " + size + " bytes, shorter than the " + length + " asked to hash");
    }
    return carrier.apply(name, () -> carrier.storage().hash(name, length));
  }

  /** Refuses fields other than {@code op} and {@code allowed}. */
  private static void fields(ObjectNode request, String what, String... allowed)
      throws ProtocolException {
    Iterator<String> it = request.fieldNames();
    while (it.hasNext()) {
      String f = it.next();
      boolean known = f.equals("op");
      for (String a : allowed) {
        known |= f.equals(a);
      }
      if (!known) {
        throw new ProtocolException(ErrorCode.BAD_REQUEST, what + ": unknown field \"" + f + "\"");
      }
    }
  }

  private static String file(ObjectNode request, String field, String what)
      throws ProtocolException {
    String name = WireJson.text(request, field, what);
    ServedCarrier.checkName(name, false);
    return name;
  }

  private static List<String> names(ObjectNode request, String field, String what)
      throws ProtocolException {
    JsonNode n = request.get(field);
    if (n == null || !n.isArray() || n.size() > 64) {
      throw new ProtocolException(
          ErrorCode.BAD_REQUEST, what + ": \"" + field + "\" must be a list of at most 64 names");
    }
    List<String> names = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new ProtocolException(
            ErrorCode.BAD_REQUEST, what + ": \"" + field + "\" must hold file names only");
      }
      ServedCarrier.checkName(e.textValue(), false);
      names.add(e.textValue());
    }
    return names;
  }
}
