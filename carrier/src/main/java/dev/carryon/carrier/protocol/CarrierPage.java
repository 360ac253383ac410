package dev.carryon.carrier.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The carrier's page for people: its generations, who holds it, the sizes, and a chart of its
 * COW's growth over the generations, as plain HTML with an inline SVG (no script). The manifest is
 * read leniently, only for display (the host's carrier logic is what checks it), and everything
 * taken from it is escaped: a carrier is untrusted input.
 */
final class CarrierPage {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The chart's size in pixels. */
  private static final int WIDTH = 640;

  private static final int HEIGHT = 220;

  private CarrierPage() {}

  /** One generation as the page shows it. */
  private record Row(
      long number, String parent, String created, String host, long cowBytes, long stateBytes,
      boolean current) {}

  static String render(String title, byte[] manifest, Map<String, Object> lock, long freeBytes) {
    StringBuilder h = new StringBuilder(4096);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>carryon: ").append(esc(title)).append("</title>")
        .append("<style>body{font-family:sans-serif;margin:2em;color:#222}")
        .append("table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:right;white-space:nowrap}")
        .append("th{border-bottom:1px solid #888}td.l,th.l{text-align:left}")
        .append("tr.cur{font-weight:bold}</style></head><body>\n")
        .append("<h1>carrier ").append(esc(title)).append("</h1>\n");
    JsonNode m = parse(manifest);
    if (m == null) {
      h.append("<p id=\"empty\">")
          .append(manifest == null ? "No carrier here yet (no manifest)."
              : "The manifest cannot be read as JSON.")
          .append("</p>\n");
    } else {
      describe(h, m, lock);
    }
    h.append("<p id=\"free\">Free space on the server: ").append(bytes(freeBytes)).append("</p>\n")
        .append("</body></html>\n");
    return h.toString();
  }

  private static void describe(StringBuilder h, JsonNode m, Map<String, Object> lock) {
    JsonNode vm = m.path("vm");
    long current = m.path("currentGeneration").asLong();
    h.append("<p id=\"summary\">Generation <b id=\"generation\">").append(current).append("</b>; VM ")
        .append(esc(vm.path("machineType").asText("?"))).append(", CPU ")
        .append(esc(vm.path("cpuModel").asText("?"))).append(", ")
        .append(vm.path("memoryMiB").asLong()).append(" MiB, ")
        .append(vm.path("cpus").asLong()).append(" CPU(s)</p>\n");
    JsonNode lease = m.path("lease");
    h.append("<p id=\"lease\">Session: ");
    if (lease.isObject()) {
      h.append("held by host ").append(esc(lease.path("hostName").asText("?"))).append(" (")
          .append(esc(lease.path("hostId").asText("?"))).append("), session ")
          .append(esc(lease.path("sessionId").asText("?"))).append(", since ")
          .append(esc(lease.path("since").asText("?")));
    } else {
      h.append("none (the carrier is free)");
    }
    h.append("</p>\n<p id=\"lock\">Write lock: ")
        .append(lock == null ? "free" : "held by " + esc(String.valueOf(lock.get("holder")))
            + " until " + esc(String.valueOf(lock.get("expires"))))
        .append("</p>\n");
    JsonNode files = m.path("files");
    long total = 0;
    for (JsonNode f : files) {
      total += f.path("size").asLong();
    }
    List<Row> rows = rows(m, files, current);
    h.append("<p id=\"sizes\">Files: ").append(bytes(total)).append(" in ").append(files.size())
        .append(" files</p>\n");
    chart(h, rows);
    h.append("<table id=\"generations\"><tr><th>generation</th><th>parent</th>")
        .append("<th class=\"l\">created</th><th class=\"l\">host</th>")
        .append("<th>COW and layers</th><th>RAM state</th></tr>\n");
    for (Row r : rows) {
      h.append(r.current() ? "<tr class=\"cur\">" : "<tr>")
          .append("<td>").append(r.number()).append(r.current() ? " *" : "").append("</td>")
          .append("<td>").append(esc(r.parent())).append("</td>")
          .append("<td class=\"l\">").append(esc(r.created())).append("</td>")
          .append("<td class=\"l\">").append(esc(r.host())).append("</td>")
          .append("<td>").append(bytes(r.cowBytes())).append("</td>")
          .append("<td>").append(r.stateBytes() < 0 ? "cold boot" : bytes(r.stateBytes()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  /**
   * Each kept generation, oldest first, with the bytes of its chain above the base (the carrier's
   * COW and the session layers not yet merged into it) as the manifest's file records give them.
   */
  private static List<Row> rows(JsonNode m, JsonNode files, long current) {
    List<Row> rows = new ArrayList<>();
    for (JsonNode g : m.path("generations")) {
      long cow = 0;
      JsonNode chain = g.path("chain");
      for (int i = 1; i < chain.size(); i++) {
        cow += files.path(chain.get(i).asText()).path("size").asLong();
      }
      JsonNode state = g.path("state");
      long stateBytes = state.isTextual() ? files.path(state.asText()).path("size").asLong() : -1;
      long number = g.path("number").asLong();
      rows.add(
          new Row(
              number,
              g.path("parent").isNumber() ? Long.toString(g.path("parent").asLong()) : "-",
              g.path("created").asText(""),
              g.path("hostId").asText(""),
              cow,
              stateBytes,
              number == current));
    }
    rows.sort((a, b) -> Long.compare(a.number(), b.number()));
    return rows;
  }

  /** A bar per generation: its COW and layers, to the scale of the largest. */
  private static void chart(StringBuilder h, List<Row> rows) {
    long max = 1;
    for (Row r : rows) {
      max = Math.max(max, r.cowBytes());
    }
    int bars = Math.max(rows.size(), 1);
    int slot = Math.min((WIDTH - 60) / bars, 90);
    int plot = HEIGHT - 50;
    h.append("<h2>COW growth over the generations</h2>\n<svg id=\"growth\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" role=\"img\">")
        .append("<title>bytes of COW and layers per generation</title>")
        .append("<line x1=\"50\" y1=\"").append(plot + 10).append("\" x2=\"").append(WIDTH)
        .append("\" y2=\"").append(plot + 10).append("\" stroke=\"#888\"/>")
        .append("<text x=\"5\" y=\"").append(HEIGHT - 12)
        .append("\" font-size=\"11\">gen.</text>");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      int barHeight = (int) Math.round((double) plot * r.cowBytes() / max);
      int x = 55 + i * slot;
      h.append("<rect class=\"bar\" data-generation=\"").append(r.number())
          .append("\" data-bytes=\"").append(r.cowBytes()).append("\" x=\"").append(x)
          .append("\" y=\"").append(plot + 10 - barHeight).append("\" width=\"")
          .append(Math.max(slot - 10, 2)).append("\" height=\"").append(barHeight)
          .append("\" fill=\"").append(r.current() ? "#2a6fb0" : "#8fb3d9").append("\"/>")
          .append("<text x=\"").append(x).append("\" y=\"").append(HEIGHT - 12)
          .append("\" font-size=\"11\">").append(r.number()).append("</text>")
          .append("<text x=\"").append(x).append("\" y=\"").append(plot + 6 - barHeight)
          .append("\" font-size=\"10\">").append(bytes(r.cowBytes())).append("</text>");
    }
    h.append("</svg>\n");
  }

  private static JsonNode parse(byte[] manifest) {
    if (manifest == null) {
      return null;
    }
    try {
      JsonNode n = MAPPER.readTree(manifest);
      return n != null && n.isObject() ? n : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<':
          b.append("&lt;");
          break;
        case '>':
          b.append("&gt;");
          break;
        case '&':
          b.append("&amp;");
          break;
        case '"':
          b.append("&quot;");
          break;
        case '\'':
          b.append("&#39;");
          break;
        default:
          b.append(c);
      }
    }
    return b.toString();
  }
}
