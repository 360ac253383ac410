package dev.carryon.carrier.storage;

/**
 * Size and SHA-256 of (a prefix of) a stored file, as {@link CarrierStorage#hash} computed them.
 *
 * @param size bytes hashed
 * @param sha256 their SHA-256, 64 lowercase hex digits
 */
public record Digest(long size, String sha256) {}
