package dev.carryon.cow;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Allocation maps comparable to {@code qemu-img map --output=json}. */
public final class Mapper {
  private Mapper() {}

  /** The map of {@code image} alone; what its backing files hold is not looked at. */
  public static List<Extent> mapLayer(Path image) throws IOException {
    try (DiskImage d = DiskImage.open(image, false)) {
      return mapLayer(d);
    }
  }

  /** The map of an open image alone; what its backing layers hold is not looked at. */
  public static List<Extent> mapLayer(DiskImage image) throws IOException {
    return image.mapLayer(0, image.virtualSize());
  }

  /** The map of {@code image} through its backing chain, as qemu-img map prints it. */
  public static List<Extent> mapChain(Path image) throws IOException {
    try (ImageChain chain = ImageChain.open(image)) {
      return map(chain);
    }
  }

  /** The map of an open chain: each run attributed to the first layer that defines it. */
  public static List<Extent> map(ImageChain chain) throws IOException {
    List<Extent> out = new ArrayList<>();
    fill(chain.layers(), 0, 0, chain.virtualSize(), out);
    return out;
  }

  private static void fill(List<DiskImage> layers, int depth, long start, long end, List<Extent> out)
      throws IOException {
    DiskImage layer = layers.get(depth);
    long inLayer = Math.min(end, Math.max(start, layer.virtualSize()));
    for (Extent x : layer.mapLayer(start, inLayer - start)) {
      if (x.present()) {
        Extent.addJoined(out, x.atDepth(depth));
      } else if (depth + 1 < layers.size()) {
        fill(layers, depth + 1, x.start(), x.end(), out);
      } else {
        Extent.addJoined(out, new Extent(x.start(), x.length(), depth, false, true, false, -1));
      }
    }
    if (inLayer < end) {
      // Past the end of a shorter backing file the guest reads zeros.
      Extent.addJoined(out, new Extent(inLayer, end - inLayer, depth, false, true, false, -1));
    }
  }
}
