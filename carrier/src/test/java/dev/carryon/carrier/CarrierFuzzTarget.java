package dev.carryon.carrier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.cow.ImageException;
import dev.carryon.testdata.fuzz.Field;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Mutator;
import dev.carryon.testdata.fuzz.Qcow2Fields;
import dev.carryon.testdata.fuzz.Seed;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Fuzzes a whole carrier through {@link Carrier#open} and {@link Carrier#verify} (every checksum,
 * every image's structure and backing links), for the carrier and for each checkpoint. Mutations
 * hit the manifest, the images (at their qcow2 fields) and the other files, and most often
 * record the new size and SHA-256 of a changed file in the manifest, so that verify gets past the
 * checksums to the images. The carrier is only read; the documented refusal is a
 * {@link CarrierException} (or an {@link ImageException} of one of its images) naming the carrier.
 */
public final class CarrierFuzzTarget implements FuzzTarget {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String name() {
    return "carrier";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    List<Seed> seeds = new ArrayList<>();
    for (CarrierSeeds.Made m : CarrierSeeds.all(work)) {
      seeds.add(new Seed(m.name(), m.files(), List.of()));
    }
    return seeds;
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    try (Carrier c = Fixtures.open(input)) {
      c.verify();
      for (Generation g : c.checkpoints()) {
        c.verify(g, Progress.NONE);
      }
    }
  }

  @Override
  public FuzzInput mutate(FuzzInput in, List<Field> fields, Mutator m) {
    Random r = m.random();
    List<String> images = in.files().keySet().stream().filter(n -> n.endsWith(".qcow2")).toList();
    List<String> others = in.files().keySet().stream()
        .filter(n -> !n.endsWith(".qcow2") && !n.equals(CarrierFiles.MANIFEST)).toList();
    int roll = r.nextInt(20);
    if (roll < 9) {
      return ManifestFuzzTarget.mutateManifest(in, m);
    }
    String name;
    FuzzInput out;
    if (roll < 17 && !images.isEmpty()) {
      name = images.get(r.nextInt(images.size()));
      byte[] image = in.get(name);
      out = in.with(name, m.mutate(FuzzInput.of(name, image), Qcow2Fields.of(name, image)).get(name));
    } else if (roll < 19 && !others.isEmpty()) {
      name = others.get(r.nextInt(others.size()));
      out = in.with(name, m.mutateBytes(in.get(name), name));
    } else {
      List<String> all = new ArrayList<>(images);
      all.addAll(others);
      name = all.get(r.nextInt(all.size()));
      return r.nextBoolean() ? in.without(name) : in.with("layers/L9.qcow2", in.get(name));
    }
    return r.nextInt(5) == 0 ? out : withRecord(out, name);
  }

  /** {@code in} with the manifest's size and SHA-256 of {@code name} set to its content's. */
  private static FuzzInput withRecord(FuzzInput in, String name) {
    try {
      JsonNode root = JSON.readTree(in.get(CarrierFiles.MANIFEST));
      JsonNode record = root == null ? null : root.path("files").get(name);
      if (!(record instanceof ObjectNode o)) {
        return in;
      }
      byte[] content = in.get(name);
      o.put("size", content.length);
      o.put("sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)));
      return in.with(CarrierFiles.MANIFEST, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      return in;
    }
  }

  @Override
  public String unexpected(Throwable error, Path input) {
    if (!(error instanceof CarrierException) && !(error instanceof ImageException)) {
      return "not a CarrierException or ImageException";
    }
    if (!String.valueOf(error.getMessage()).contains(input.toString())) {
      return "the message does not name the carrier " + input;
    }
    return null;
  }
}
