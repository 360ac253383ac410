package dev.carryon.carrier;

import dev.carryon.testdata.fuzz.Field;
import dev.carryon.testdata.fuzz.FuzzInput;
import dev.carryon.testdata.fuzz.FuzzTarget;
import dev.carryon.testdata.fuzz.Mutator;
import dev.carryon.testdata.fuzz.Seed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes {@link ManifestCodec#parse}: JSON, schema and {@link ManifestRules}. A manifest it accepts
 * must write back ({@link ManifestCodec#encode} refuses nothing it read) and read back the same.
 * The documented refusal is a {@link CarrierFormatException} whose message starts with the file.
 */
public final class ManifestFuzzTarget implements FuzzTarget {
  @Override
  public String name() {
    return "manifest";
  }

  @Override
  public List<Seed> seeds(Path work) throws Exception {
    List<Seed> seeds = new ArrayList<>();
    for (CarrierSeeds.Made m : CarrierSeeds.all(work)) {
      seeds.add(new Seed(m.name(), FuzzInput.of(CarrierFiles.MANIFEST, m.files().get(CarrierFiles.MANIFEST)), List.of()));
    }
    return seeds;
  }

  @Override
  public void run(Path input, Path scratch) throws Exception {
    Path file = input.resolve(CarrierFiles.MANIFEST);
    Manifest m = ManifestCodec.parse(Files.readAllBytes(file), file.toString());
    Manifest again = ManifestCodec.parse(ManifestCodec.encode(m), file.toString());
    if (!again.equals(m)) {
      throw new AssertionError("the manifest read back differently after it was written:\n" + m + "\n" + again);
    }
  }

  @Override
  public FuzzInput mutate(FuzzInput in, List<Field> fields, Mutator m) {
    return mutateManifest(in, m);
  }

  /** {@code in} with its manifest mutated: mostly as JSON, else (or when it is no JSON) as bytes. */
  static FuzzInput mutateManifest(FuzzInput in, Mutator m) {
    byte[] json = in.get(CarrierFiles.MANIFEST);
    byte[] changed = m.random().nextInt(5) == 0 ? null : new JsonMutator(m.random()).mutate(json);
    return in.with(CarrierFiles.MANIFEST, changed != null ? changed : m.mutateBytes(json, CarrierFiles.MANIFEST));
  }

  @Override
  public String unexpected(Throwable error, Path input) {
    return carrierError(error, input.resolve(CarrierFiles.MANIFEST), CarrierFormatException.class);
  }

  /** Null when {@code error} is a {@code type} whose message starts with {@code file}; else why not. */
  static String carrierError(Throwable error, Path file, Class<? extends Exception> type) {
    if (!type.isInstance(error)) {
      return "not a " + type.getSimpleName();
    }
    if (!String.valueOf(error.getMessage()).startsWith(file.toString())) {
      return "the message does not start with " + file;
    }
    return null;
  }
}
