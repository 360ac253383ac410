package dev.carryon.testdata.fuzz;

import java.util.List;

/**
 * A valid input made by the real tools (qemu-img, mke2fs, carryon itself), with the fields its
 * parser trusts, where mutations start.
 *
 * @param name how it was made, for reports ("qcow2 v3, 512-byte clusters, compressed")
 * @param input the files
 * @param fields integer fields worth aiming at; may be empty
 */
public record Seed(String name, FuzzInput input, List<Field> fields) {
  public Seed {
    fields = List.copyOf(fields);
  }
}
