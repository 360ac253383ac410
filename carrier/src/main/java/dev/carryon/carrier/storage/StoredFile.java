package dev.carryon.carrier.storage;

/**
 * A file as a {@link CarrierStorage} lists it.
 *
 * @param name carrier-relative name, e.g. {@code layers/L3.qcow2}
 * @param size length in bytes
 */
public record StoredFile(String name, long size) {}
