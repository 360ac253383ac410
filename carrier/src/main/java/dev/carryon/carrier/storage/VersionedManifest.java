package dev.carryon.carrier.storage;

/**
 * The committed manifest as a storage holds it.
 *
 * @param bytes the manifest file's bytes, not yet parsed or checked
 * @param version names these bytes (the hex SHA-256 of them); {@link
 *     CarrierStorage#replaceManifest} replaces the manifest only while it still has this version
 */
public record VersionedManifest(byte[] bytes, String version) {}
