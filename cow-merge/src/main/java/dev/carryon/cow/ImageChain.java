package dev.carryon.cow;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An image and its backing files, opened read-only, top first. Reads return what the guest
 * sees. Backing names resolve as QEMU resolves them: an absolute name stays, a relative one is
 * relative to the folder of the image that names it.
 */
public final class ImageChain implements Closeable {
  /** Longer chains are refused as a loop QEMU would refuse too. */
  static final int MAX_DEPTH = 256;

  /** Top first; each attached to the next as its backing. */
  private final List<DiskImage> layers;

  private ImageChain(List<DiskImage> layers) {
    this.layers = Collections.unmodifiableList(layers);
  }

  /** Opens {@code top} and its whole backing chain read-only. */
  public static ImageChain open(Path top) throws IOException {
    return open(top, null);
  }

  /** Opens {@code top} as {@code format} (null: probe) and its whole backing chain read-only. */
  public static ImageChain open(Path top, ImageFormat format) throws IOException {
    DiskImage image = DiskImage.open(top, format, false);
    try {
      return over(image);
    } catch (IOException | RuntimeException e) {
      image.close();
      throw e;
    }
  }

  /**
   * Opens the backing chain of an already open image read-only and attaches it, so that the
   * image reads (and partial writes fill in) what the guest sees. Closing the chain closes
   * {@code top} too.
   */
  public static ImageChain over(DiskImage top) throws IOException {
    List<DiskImage> layers = new ArrayList<>();
    layers.add(top);
    Set<Path> seen = new LinkedHashSet<>();
    seen.add(realPath(top.path()));
    try {
      DiskImage layer = top;
      while (layer.backingFileName() != null) {
        Path next = resolveBacking(layer.path(), layer.backingFileName());
        if (!Files.exists(next)) {
          throw new BackingChainException(
              layer.path(), "backing file '" + layer.backingFileName() + "' (" + next + ") does not exist");
        }
        if (!seen.add(realPath(next)) || layers.size() >= MAX_DEPTH) {
          throw new BackingChainException(
              layer.path(), "backing chain loops: " + seen + " then " + next + " again");
        }
        ImageFormat format = null;
        if (layer.backingFormat() != null) {
          format = ImageFormat.fromId(layer.backingFormat());
          if (format == null) {
            throw new UnsupportedImageException(
                layer.path(), "backing format '" + layer.backingFormat() + "' is not supported (qcow2, raw)");
          }
        }
        DiskImage backing;
        try {
          backing = DiskImage.open(next, format, false);
        } catch (ImageException e) {
          throw new BackingChainException(layer.path(), "its backing file is unusable: " + e.getMessage(), e);
        }
        layers.add(backing);
        layer.attachBacking(backing);
        layer = backing;
      }
    } catch (IOException | RuntimeException e) {
      for (int i = layers.size() - 1; i > 0; i--) {
        layers.get(i).close();
      }
      throw e;
    }
    return new ImageChain(layers);
  }

  /**
   * A chain of images already open, top first, each the backing layer of the one before it. The
   * backing names their headers record are not looked up on the file system: the images may live
   * in any {@link dev.carryon.cow.io.Storage}. Checked: every layer has the top's virtual size,
   * each layer but the last records a backing file (QEMU would not read below it otherwise) and is
   * qcow2 (a raw image has no backing file), and the last records none (the chain would be
   * incomplete). On success the chain owns the layers and closes them; on failure the caller still
   * does.
   */
  public static ImageChain of(List<DiskImage> layers) throws ImageException {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a chain needs at least one image");
    }
    if (layers.size() > MAX_DEPTH) {
      throw new BackingChainException(
          layers.get(0).path(), "the chain given has " + layers.size() + " layers, more than " + MAX_DEPTH);
    }
    DiskImage top = layers.get(0);
    for (int i = 0; i < layers.size(); i++) {
      DiskImage layer = layers.get(i);
      boolean last = i == layers.size() - 1;
      if (layers.subList(0, i).contains(layer)) {
        throw new BackingChainException(layer.path(), "appears twice in the chain given (a loop)");
      }
      if (layer.virtualSize() != top.virtualSize()) {
        throw new ImageMismatchException(
            layer.path(), "virtual size " + layer.virtualSize() + " differs from the top of its chain, "
                + top.path() + " (" + top.virtualSize() + ")");
      }
      if (last && layer.backingFileName() != null) {
        throw new BackingChainException(
            layer.path(), "records backing file '" + layer.backingFileName() + "', but the chain given ends here");
      }
      if (!last && layer.backingFileName() == null) {
        throw new BackingChainException(
            layer.path(), "records no backing file, but the chain given continues with " + layers.get(i + 1).path());
      }
    }
    for (int i = 0; i + 1 < layers.size(); i++) {
      layers.get(i).attachBacking(layers.get(i + 1));
    }
    return new ImageChain(new ArrayList<>(layers));
  }

  /** Where QEMU looks for {@code backingName} named by the image at {@code image}. */
  public static Path resolveBacking(Path image, String backingName) {
    Path name = Paths.get(backingName);
    if (name.isAbsolute()) {
      return name;
    }
    Path folder = image.toAbsolutePath().getParent();
    return folder == null ? name : folder.resolve(name).normalize();
  }

  private static Path realPath(Path p) throws IOException {
    return p.toRealPath();
  }

  /** Top first. */
  public List<DiskImage> layers() {
    return layers;
  }

  public DiskImage top() {
    return layers.get(0);
  }

  public long virtualSize() {
    return top().virtualSize();
  }

  /** Reads guest bytes as the guest sees them. */
  public void read(ByteBuffer dst, long guestOffset) throws IOException {
    top().read(dst, guestOffset);
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (DiskImage layer : layers) {
      try {
        layer.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
