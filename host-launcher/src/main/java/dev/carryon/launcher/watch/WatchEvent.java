package dev.carryon.launcher.watch;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What {@code carryon watch} reports, one line per event: {@link #text()} for people, {@link
 * #writeJson} for scripts ({@code --json}: one JSON object per line, its {@code event} field
 * first).
 */
public sealed interface WatchEvent {
  /** The event as one line for people. */
  String text();

  /** Writes the event's fields into the JSON object being written, {@code event} first. */
  void writeJson(JsonGenerator g) throws IOException;

  /** The desktop notification this event deserves, or null for none. */
  default Notification notification() {
    return null;
  }

  /**
   * A desktop notification.
   *
   * @param summary its title
   * @param body its text
   */
  record Notification(String summary, String body) {}

  /**
   * The watch has started and looked at what was already there.
   *
   * @param under the folders whose mounts are watched
   * @param phones what watches for phones, or why nothing does
   */
  record Watching(List<Path> under, String phones) implements WatchEvent {
    @Override
    public String text() {
      return "watching mounts under "
          + under.stream().map(Path::toString).collect(Collectors.joining(", ")) + "; " + phones
          + " (Ctrl-C stops)";
    }

    @Override
    public void writeJson(JsonGenerator g) throws IOException {
      g.writeStringField("event", "watching");
      g.writeArrayFieldStart("under");
      for (Path p : under) {
        g.writeString(p.toString());
      }
      g.writeEndArray();
      g.writeStringField("phones", phones);
    }
  }

  /**
   * A carrier appeared (or was there when the watch started).
   *
   * @param carrier what the watch read of it
   * @param sessionHere the id of this host's open session on it, or null
   * @param resumeNext true when the watch is about to resume it (--auto-resume)
   */
  record Attached(CarrierLook carrier, String sessionHere, boolean resumeNext)
      implements WatchEvent {
    @Override
    public String text() {
      String c = carrier.location();
      String head = "attached " + c + ": generation " + carrier.generation();
      if (sessionHere != null) {
        return head + "; its session " + sessionHere + " runs on this host: end it with: carryon end "
            + c;
      }
      if (carrier.lease() != null) {
        return head + "; in use by " + carrier.lease().describe() + ": not resumed here";
      }
      return head + ", free" + (resumeNext ? "; resuming it" : "; resume it with: carryon resume " + c);
    }

    @Override
    public void writeJson(JsonGenerator g) throws IOException {
      g.writeStringField("event", "attached");
      g.writeStringField("carrier", carrier.location());
      g.writeStringField("carrier_id", carrier.carrierId());
      g.writeNumberField("generation", carrier.generation());
      g.writeStringField("lease", carrier.lease() == null ? null : carrier.lease().hostName());
      g.writeStringField("session_here", sessionHere);
    }

    @Override
    public Notification notification() {
      if (resumeNext) {
        return null; // the resume's own event says what happened
      }
      return new Notification("carryon: carrier plugged in", text());
    }
  }

  /**
   * A carrier went away (its file system was unmounted, or its phone unplugged).
   *
   * @param carrier where it was
   * @param carrierId its id
   * @param sessionHere the id of this host's open session on it, or null
   */
  record Detached(String carrier, String carrierId, String sessionHere) implements WatchEvent {
    @Override
    public String text() {
      if (sessionHere == null) {
        return "detached " + carrier;
      }
      return "detached " + carrier + " while its session " + sessionHere + " runs on this host:"
          + " the guest keeps running and nothing of the session is lost (disk reads the guest"
          + " makes from the carrier may fail while it is away); the session can only end once"
          + " the carrier is back: plug it in at " + carrier + " again, then run carryon end "
          + carrier + " (carryon end --wait " + carrier + " waits for it)";
    }

    @Override
    public void writeJson(JsonGenerator g) throws IOException {
      g.writeStringField("event", "detached");
      g.writeStringField("carrier", carrier);
      g.writeStringField("carrier_id", carrierId);
      g.writeStringField("session_here", sessionHere);
    }

    @Override
    public Notification notification() {
      return sessionHere == null
          ? null
          : new Notification("carryon: carrier unplugged during its session", text());
    }
  }

  /**
   * A carrier manifest was found but the carrier cannot be read: nothing is done with it.
   *
   * @param carrier its folder
   * @param problem what is wrong, naming the file
   */
  record Unreadable(String carrier, String problem) implements WatchEvent {
    @Override
    public String text() {
      return "attached " + carrier + " but cannot use it: " + problem;
    }

    @Override
    public void writeJson(JsonGenerator g) throws IOException {
      g.writeStringField("event", "unreadable");
      g.writeStringField("carrier", carrier);
      g.writeStringField("error", problem);
    }

    @Override
    public Notification notification() {
      return new Notification("carryon: unusable carrier plugged in", text());
    }
  }

  /**
   * The watch resumed a carrier ({@code --auto-resume}), detached as {@code resume --detach} does.
   *
   * @param carrier the carrier
   * @param generation the generation resumed
   * @param sessionId the new session
   * @param qemuPid its QEMU
   * @param console the file holding the guest's serial console
   */
  record Resumed(String carrier, long generation, String sessionId, long qemuPid, Path console)
      implements WatchEvent {
    @Override
    public String text() {
      return "resumed " + carrier + ": generation " + generation + ", session " + sessionId
          + " (QEMU pid " + qemuPid + ", console " + console + "); end it with: carryon end "
          + carrier;
    }

    @Override
    public void writeJson(JsonGenerator g) throws IOException {
      g.writeStringField("event", "resumed");
      g.writeStringField("carrier", carrier);
      g.writeNumberField("generation", generation);
      g.writeStringField("session", sessionId);
      g.writeNumberField("qemu_pid", qemuPid);
      g.writeStringField("console", console == null ? null : console.toString());
    }

    @Override
    public Notification notification() {
      return new Notification("carryon: session resumed", text());
    }
  }

  /**
   * An automatic resume was tried and refused or failed; the carrier is as it was.
   *
   * @param carrier the carrier
   * @param reason the resume's own message
   */
  record NotResumed(String carrier, String reason) implements WatchEvent {
    @Override
    public String text() {
      return "not resumed " + carrier + ": " + reason;
    }

    @Override
    public void writeJson(JsonGenerator g) throws IOException {
      g.writeStringField("event", "not_resumed");
      g.writeStringField("carrier", carrier);
      g.writeStringField("error", reason);
    }

    @Override
    public Notification notification() {
      return new Notification("carryon: carrier not resumed", text());
    }
  }

  /**
   * A USB device with an ADB interface (a phone with USB debugging on) came or went.
   *
   * @param phone the device
   */
  record Phone(PhoneEvent phone) implements WatchEvent {
    @Override
    public String text() {
      return "phone " + (phone.attached() ? "attached" : "detached") + " on USB " + phone.usb()
          + String.format(" (%04x:%04x, ADB interface)", phone.vendorId(), phone.productId());
    }

    @Override
    public void writeJson(JsonGenerator g) throws IOException {
      g.writeStringField("event", phone.attached() ? "phone_attached" : "phone_detached");
      g.writeStringField("usb", phone.usb());
      g.writeStringField("vendor_id", String.format("%04x", phone.vendorId()));
      g.writeStringField("product_id", String.format("%04x", phone.productId()));
    }
  }

  /**
   * A file system that did not answer while the watch looked for carriers on it (a stale network
   * mount, a failing drive): it is left alone until mounted again.
   *
   * @param mount its mount point
   * @param reason what happened
   */
  record Skipped(Path mount, String reason) implements WatchEvent {
    @Override
    public String text() {
      return "skipped the file system at " + mount + ": " + reason;
    }

    @Override
    public void writeJson(JsonGenerator g) throws IOException {
      g.writeStringField("event", "skipped");
      g.writeStringField("mount", mount.toString());
      g.writeStringField("error", reason);
    }
  }
}
