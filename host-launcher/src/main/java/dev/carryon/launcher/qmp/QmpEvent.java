package dev.carryon.launcher.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * An asynchronous QMP event, e.g. {@code STOP}, {@code RESUME}, {@code SHUTDOWN}.
 *
 * @param name the event name
 * @param data the event's {@code data} object (an empty object when QEMU sent none)
 * @param timestampMicros QEMU's timestamp in microseconds since the epoch
 */
public record QmpEvent(String name, JsonNode data, long timestampMicros) {

  static QmpEvent of(JsonNode message) {
    JsonNode data = message.path("data");
    JsonNode ts = message.path("timestamp");
    return new QmpEvent(
        message.path("event").asText(),
        data.isObject() ? data : JsonNodeFactory.instance.objectNode(),
        ts.path("seconds").asLong() * 1_000_000 + ts.path("microseconds").asLong());
  }
}
