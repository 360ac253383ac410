package dev.carryon.cow;

/** Image formats the engine opens; {@link #id()} is the name QEMU uses. */
public enum ImageFormat {
  QCOW2("qcow2"),
  RAW("raw");

  /** QEMU's name for the format ("qcow2", "raw"). */
  private final String id;

  ImageFormat(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  /** The format QEMU calls {@code id}, or null when this engine does not know it. */
  public static ImageFormat fromId(String id) {
    for (ImageFormat f : values()) {
      if (f.id.equals(id)) {
        return f;
      }
    }
    return null;
  }
}
