package dev.carryon.carrier.keys;

import dev.carryon.cow.crypto.Luks;
import dev.carryon.cow.io.OwnerOnly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import org.conscrypt.Conscrypt;

/**
 * BoringSSL through Conscrypt, when its native library loads on this machine: the sealed states'
 * ChaCha20-Poly1305 (RFC 8439), and the encrypted images' AES, hashes and randomness (handed to
 * {@link Luks#useProvider}). Where it does not load, the JDK's make the same bytes, slower: JDK
 * 17's ChaCha20-Poly1305 is plain Java with no intrinsic, its AES runs fast only after a warm-up
 * and its hashes start interpreted, while every {@code resume} and {@code end} is a fresh JVM.
 * Measured there (in the commits): 40 MiB of ChaCha20-Poly1305 0.27-0.34 s in the JDK against
 * 0.06-0.07 s; the first 4 MiB of AES-ECB 0.096 s against 0.016 s. Loading BoringSSL costs
 * 0.1-0.3 s itself (its JNI set-up loads some 700 JDK classes), so it is {@link #prepare}d on a
 * thread of its own as soon as a command knows it will seal or open a state, and only then.
 */
final class BoringSsl {
  static final String CHACHA20_POLY1305 = "ChaCha20-Poly1305";

  /** Conscrypt's system property naming where it copies its library before loading it. */
  private static final String WORKDIR = "org.conscrypt.native.workdir";

  private static final AtomicBoolean STARTED = new AtomicBoolean();
  /** Conscrypt's provider, or null where its native library does not load. */
  private static final FutureTask<Provider> NATIVE = new FutureTask<>(BoringSsl::load);

  private BoringSsl() {}

  /** Starts loading the native library on a thread of its own, once per process. */
  static void prepare() {
    if (STARTED.compareAndSet(false, true)) {
      Thread t = new Thread(NATIVE, "load BoringSSL");
      t.setDaemon(true);
      t.start();
    }
  }

  /** A new ChaCha20-Poly1305 cipher, {@code init}ed per chunk by the caller; waits for the load. */
  static Cipher chaCha20Poly1305() {
    Provider p = provider();
    try {
      return p != null ? Cipher.getInstance(CHACHA20_POLY1305, p)
          : Cipher.getInstance(CHACHA20_POLY1305);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(CHACHA20_POLY1305 + " is missing from this JVM", e);
    }
  }

  /** Conscrypt's provider once loaded, or null where it does not load. */
  static Provider provider() {
    prepare();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return NATIVE.get();
        } catch (InterruptedException e) {
          // A sealer's worker is interrupted only to stop it after its last chunk: finish the wait.
          interrupted = true;
        } catch (ExecutionException e) {
          return null;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Conscrypt's provider, also made the images' AES; or null: its classes are absent (an optional
   * dependency) or its library does not load here. Conscrypt copies its library out of the jar
   * before loading it, by default into /tmp with the umask's mode (under umask 000 another user
   * could swap the code in before it loads): it gets a folder of its own, 0700, deleted once the
   * library is loaded.
   */
  private static Provider load() {
    Path workdir = null;
    try {
      if (System.getProperty(WORKDIR) == null) {
        workdir = OwnerOnly.createTempDirectory("carryon-boringssl");
        System.setProperty(WORKDIR, workdir.toString());
      }
      if (!Conscrypt.isAvailable()) {
        return null;
      }
      Provider p = Conscrypt.newProvider();
      Luks.useProvider(p);
      return p;
    } catch (IOException | LinkageError | RuntimeException e) {
      return null;
    } finally {
      if (workdir != null) {
        try {
          Files.deleteIfExists(workdir); // empty: Conscrypt unlinks its copy once loaded
        } catch (IOException e) {
          // a copy left in a private folder: harmless, and /tmp's cleaning takes it
        }
      }
    }
  }
}
