package dev.carryon.cow;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * qemu-img and qemu-io on LUKS-encrypted images: the tests' secrets as {@code --object secret}
 * (on the command line, which only tests may do) and images as {@code --image-opts} naming the
 * secret of each encrypted layer.
 */
final class QemuSecrets {
  /** Secret object ids; each object's data is its id followed by "-secret". */
  static final String ALPHA = "alpha";
  static final String BETA = "beta";
  static final String GAMMA = "gamma";

  private QemuSecrets() {}

  /** The bytes of the secret with object id {@code id}. */
  static byte[] secret(String id) {
    return (id + "-secret").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The engine's secrets: {@code imageThenId} pairs (a Path, then a secret id), matched on the
   * absolute normalized path.
   */
  static ImageSecrets engine(Object... imageThenId) {
    Map<Path, String> ids = new HashMap<>();
    for (int i = 0; i < imageThenId.length; i += 2) {
      ids.put(((Path) imageThenId[i]).toAbsolutePath().normalize(), (String) imageThenId[i + 1]);
    }
    return image -> {
      String id = ids.get(image.toAbsolutePath().normalize());
      return id == null ? null : secret(id);
    };
  }

  /**
   * The {@code --image-opts} spec of the qcow2 {@code image} whose layers, top first, are
   * encrypted with the secrets {@code ids} (null for a layer that is not).
   */
  static String spec(Path image, String... ids) {
    StringBuilder s = new StringBuilder("driver=qcow2,file.filename=" + image);
    String prefix = "";
    for (String id : ids) {
      if (id != null) {
        s.append(',').append(prefix).append("encrypt.key-secret=").append(id);
      }
      prefix += "backing.";
    }
    return s.toString();
  }

  /**
   * qemu-img create of an encrypted qcow2 with QEMU's own LUKS code, short PBKDF2 times. Retried
   * when QEMU 7.2's iteration benchmark fails with "Unable to get accurate CPU usage", a known bug
   * of its getrusage-based timing on a busy machine (fixed upstream in QEMU 10).
   */
  static void create(Path out, String size, String id, String options, String... backing) {
    List<String> c = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
    c.addAll(objects());
    c.addAll(List.of("-o", "encrypt.format=luks,encrypt.key-secret=" + id + ",encrypt.iter-time=10"
        + (options.isEmpty() ? "" : "," + options)));
    c.addAll(Arrays.asList(backing));
    c.add(out.toString());
    c.add(size);
    retryingBenchmark(c);
  }

  /** qemu-img amend: enables a new key slot opened by {@code newId} (QEMU's encrypt.new-secret). */
  static void addKeySlot(Path image, String id, String newId) {
    List<String> c = new ArrayList<>(List.of("qemu-img", "amend"));
    c.addAll(objects());
    c.addAll(List.of("--image-opts", spec(image, id), "-o",
        "encrypt.state=active,encrypt.new-secret=" + newId + ",encrypt.iter-time=10"));
    retryingBenchmark(c);
  }

  private static void retryingBenchmark(List<String> command) {
    for (int attempt = 1; ; attempt++) {
      Qemu.Result r = Qemu.run(command);
      if (r.exit() == 0) {
        return;
      }
      if (!r.out().contains("Unable to get accurate CPU usage") || attempt == 5) {
        fail(String.join(" ", command) + " exited " + r.exit() + ":\n" + r.out());
      }
    }
  }

  /** qemu-io on {@code spec} with the given -c commands; fails on any failed command. */
  static String io(String spec, String... commands) {
    List<String> c = new ArrayList<>(List.of("qemu-io"));
    c.addAll(objects());
    for (String command : commands) {
      c.add("-c");
      c.add(command);
    }
    c.addAll(List.of("--image-opts", spec));
    String out = Qemu.ok(c.toArray(String[]::new));
    if (out.contains("Pattern verification failed") || out.contains("failed:")) {
      fail("qemu-io " + String.join(" ", commands) + " on " + spec + ":\n" + out);
    }
    return out;
  }

  /** Runs a qemu-img subcommand with the secrets and {@code --image-opts}; returns exit and output. */
  static Qemu.Result img(String subcommand, String... args) {
    List<String> c = new ArrayList<>(List.of("qemu-img", subcommand));
    c.addAll(objects());
    c.add("--image-opts");
    c.addAll(Arrays.asList(args));
    return Qemu.run(c);
  }

  /** What the guest sees through {@code spec}, by qemu-img convert. */
  static byte[] raw(String spec, Path scratchDir) throws Exception {
    Path out = Files.createTempFile(scratchDir, "view", ".raw");
    Files.delete(out);
    List<String> c = new ArrayList<>(List.of("qemu-img", "convert"));
    c.addAll(objects());
    c.addAll(List.of("--image-opts", spec, "-O", "raw", out.toString()));
    Qemu.ok(c.toArray(String[]::new));
    byte[] bytes = Files.readAllBytes(out);
    Files.delete(out);
    return bytes;
  }

  /** qemu-img check --output=json of {@code spec}. */
  static Qemu.Result check(String spec) {
    return img("check", "--output=json", spec);
  }

  private static List<String> objects() {
    List<String> o = new ArrayList<>();
    for (String id : List.of(ALPHA, BETA, GAMMA)) {
      o.add("--object");
      o.add("secret,id=" + id + ",data=" + new String(secret(id), StandardCharsets.UTF_8));
    }
    return o;
  }
}
