package dev.carryon.cow.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;

/** A LUKS {@code hash_spec}: the hash of PBKDF2 (as HMAC) and of the AF splitter's diffusion. */
enum HashSpec {
  SHA1("sha1", "SHA-1", 64),
  SHA224("sha224", "SHA-224", 64),
  SHA256("sha256", "SHA-256", 64),
  SHA384("sha384", "SHA-384", 128),
  SHA512("sha512", "SHA-512", 128);

  /** The name in the header, as QEMU and cryptsetup write it. */
  final String luksName;
  /** The JDK's MessageDigest name. */
  private final String digest;
  /** The hash's block size in bytes, which HMAC pads its key to (RFC 2104). */
  final int blockBytes;

  HashSpec(String luksName, String digest, int blockBytes) {
    this.luksName = luksName;
    this.digest = digest;
    this.blockBytes = blockBytes;
  }

  /** The hash called {@code name} in a LUKS header, or null when this engine has none. */
  static HashSpec byName(String name) {
    for (HashSpec h : values()) {
      if (h.luksName.equals(name)) {
        return h;
      }
    }
    return null;
  }

  /** A new digest, from the provider {@link Luks#useProvider} chose where it has this hash. */
  MessageDigest newDigest() {
    Provider p = Luks.provider();
    try {
      return p != null && p.getService("MessageDigest", digest) != null
          ? MessageDigest.getInstance(digest, p)
          : MessageDigest.getInstance(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + digest, e);
    }
  }
}
