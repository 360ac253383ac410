package dev.carryon.cow.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import javax.crypto.Mac;

/** A LUKS {@code hash_spec}: the hash of PBKDF2 (as HMAC) and of the AF splitter's diffusion. */
enum HashSpec {
  SHA1("sha1", "SHA-1", "HmacSHA1"),
  SHA224("sha224", "SHA-224", "HmacSHA224"),
  SHA256("sha256", "SHA-256", "HmacSHA256"),
  SHA384("sha384", "SHA-384", "HmacSHA384"),
  SHA512("sha512", "SHA-512", "HmacSHA512");

  /** The name in the header, as QEMU and cryptsetup write it. */
  final String luksName;
  /** The JDK's MessageDigest name. */
  private final String digest;
  /** The JDK's Mac name. */
  private final String hmac;

  HashSpec(String luksName, String digest, String hmac) {
    this.luksName = luksName;
    this.digest = digest;
    this.hmac = hmac;
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

  /** A new HMAC, from the provider {@link Luks#useProvider} chose where it has this one. */
  Mac newMac() {
    Provider p = Luks.provider();
    try {
      return p != null && p.getService("Mac", hmac) != null
          ? Mac.getInstance(hmac, p)
          : Mac.getInstance(hmac);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + hmac, e);
    }
  }
}
