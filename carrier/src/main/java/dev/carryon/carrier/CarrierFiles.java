package dev.carryon.carrier;

import dev.carryon.carrier.storage.CarrierStorage;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of everything on a carrier, relative to the carrier, with {@code /} as separator (as its
 * {@link CarrierStorage} names files). The manifest refers to files only by these names; nothing
 * else is ever referenced, so a manifest cannot point outside its carrier.
 */
public final class CarrierFiles {
  /**
   * The manifest's name as people know it: replacing the manifest is the one commit point of every
   * change. A storage keeps it apart from the files ({@link CarrierStorage#readManifest}); a folder
   * as this file.
   */
  public static final String MANIFEST = "carryon.json";

  /** The base image when it is a qcow2 file. */
  public static final String BASE_QCOW2 = "base.qcow2";

  /** The base image when it is raw. */
  public static final String BASE_RAW = "base.raw";

  /** Kernel for direct boot, optional. */
  public static final String KERNEL = "vmlinuz";

  /** Initial ramdisk for direct boot, optional. */
  public static final String INITRD = "initrd.img";

  /** The carrier's COW over the base; older session layers are merged into it. */
  public static final String COW = "cow.qcow2";

  /** Folder of the session layers. */
  public static final String LAYERS = "layers";

  /** Folder of the hibernation states. */
  public static final String STATES = "states";

  /** Folder of files being written and not yet committed; emptied by recovery. */
  public static final String TMP = "tmp";

  /** {@code "format"} value of a carrier manifest. */
  public static final String FORMAT = "carryon-carrier";

  /** The newest manifest version, which this code writes (with chunk lists) and reads. */
  public static final int VERSION = 2;

  /**
   * The manifest version before chunk lists, which this code still reads and writes for a carrier
   * that has none yet (the first write-open adds them).
   */
  public static final int VERSION_WITHOUT_CHUNKS = 1;

  /** Checkpoints kept when the creator does not say. */
  public static final int DEFAULT_KEEP = 3;

  /** Format name (as qemu-img spells it) of every carrier image but a raw base. */
  static final String QCOW2 = "qcow2";

  /** Format name of {@link #BASE_RAW}. */
  static final String RAW = "raw";

  private static final Pattern LAYER = Pattern.compile("layers/L([1-9][0-9]{0,17})\\.qcow2");
  private static final Pattern STATE = Pattern.compile("states/S([1-9][0-9]{0,17})\\.zst");
  private static final Pattern SCREENSHOT = Pattern.compile("states/S([1-9][0-9]{0,17})\\.png");

  private CarrierFiles() {}

  /** Name of the layer written by the session that ended as {@code generation}. */
  public static String layer(long generation) {
    return LAYERS + "/L" + generation + ".qcow2";
  }

  /** Name of the hibernation state of {@code generation}. */
  public static String state(long generation) {
    return STATES + "/S" + generation + ".zst";
  }

  /**
   * Name of the small PNG picture of the screen as {@code generation}'s state was saved, for people
   * to see which session a carrier holds before resuming it.
   */
  public static String screenshot(long generation) {
    return STATES + "/S" + generation + ".png";
  }

  /** Generation number of a layer name, or -1 when {@code name} is no layer name. */
  static long layerGeneration(String name) {
    return numberIn(LAYER.matcher(name));
  }

  /** Generation number of a state name, or -1 when {@code name} is no state name. */
  static long stateGeneration(String name) {
    return numberIn(STATE.matcher(name));
  }

  /**
   * The backing file name the header of carrier image {@code image} records for carrier image
   * {@code backing}: relative to {@code image}'s folder, as QEMU resolves it, so the carrier can be
   * mounted anywhere. The COW sits in the carrier folder; layers one level down.
   */
  static String backingName(String image, String backing) {
    return image.contains("/") ? "../" + backing : backing;
  }

  /** The image format of carrier image {@code name}. */
  static String formatOf(String name) {
    return BASE_RAW.equals(name) ? RAW : QCOW2;
  }

  static boolean isBase(String name) {
    return BASE_QCOW2.equals(name) || BASE_RAW.equals(name);
  }

  /** True for every name a manifest may reference. */
  static boolean isKnown(String name) {
    return isBase(name)
        || KERNEL.equals(name)
        || INITRD.equals(name)
        || COW.equals(name)
        || layerGeneration(name) > 0
        || stateGeneration(name) > 0
        || numberIn(SCREENSHOT.matcher(name)) > 0;
  }

  /**
   * Where carrier file {@code name} lives, for messages: its local file, or its name under the
   * carrier's URL.
   */
  static String where(CarrierStorage storage, String name) {
    Optional<Path> local = storage.localFile(name);
    if (local.isPresent()) {
      return local.get().toString();
    }
    String location = storage.location();
    return location.endsWith("/") ? location + name : location + "/" + name;
  }

  private static long numberIn(Matcher m) {
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }
}
