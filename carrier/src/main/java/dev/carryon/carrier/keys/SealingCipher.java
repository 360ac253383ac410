package dev.carryon.carrier.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import org.conscrypt.Conscrypt;

/**
 * Where a sealed stream's ChaCha20-Poly1305 (RFC 8439) comes from: BoringSSL through Conscrypt
 * when its native library loads on this machine, else the JDK's own. Both make the same bytes; only
 * the speed differs. JDK 17's is plain Java with no intrinsic, and every {@code resume} and {@code
 * end} is a fresh JVM: 40 MiB took 0.27-0.34 s there against 0.06-0.07 s in BoringSSL (measured in
 * the commit). Loading BoringSSL costs 0.1-0.3 s itself (its JNI set-up loads some 700 JDK classes),
 * so it is {@link #prepare}d on a thread of its own as soon as a command knows it will seal or open
 * a state, and only then.
 */
final class SealingCipher {
  static final String NAME = "ChaCha20-Poly1305";

  /** Conscrypt's system property naming where it copies its library before loading it. */
  private static final String WORKDIR = "org.conscrypt.native.workdir";

  private static final AtomicBoolean STARTED = new AtomicBoolean();
  /** Conscrypt's provider, or null where its native library does not load. */
  private static final FutureTask<Provider> NATIVE = new FutureTask<>(SealingCipher::loadNative);

  private SealingCipher() {}

  /** Starts loading the native cipher on a thread of its own, once per process. */
  static void prepare() {
    if (STARTED.compareAndSet(false, true)) {
      Thread t = new Thread(NATIVE, "load BoringSSL");
      t.setDaemon(true);
      t.start();
    }
  }

  /** A new cipher, {@code init}ed per chunk by the caller; waits for the native one's load. */
  static Cipher get() {
    Provider p = nativeProvider();
    try {
      return p != null ? Cipher.getInstance(NAME, p) : Cipher.getInstance(NAME);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(NAME + " is missing from this JVM", e);
    }
  }

  /** Conscrypt's provider once loaded, or null where it does not load. */
  static Provider nativeProvider() {
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
   * Conscrypt's provider, or null: its classes are absent (an optional dependency) or its library
   * does not load here. Conscrypt copies its library out of the jar before loading it, by default
   * into /tmp with the umask's mode (under umask 000 another user could swap the code in before it
   * loads): it gets a folder of its own, 0700, deleted once the library is loaded.
   */
  private static Provider loadNative() {
    Path workdir = null;
    try {
      if (System.getProperty(WORKDIR) == null) {
        workdir = Files.createTempDirectory("carryon-boringssl",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        System.setProperty(WORKDIR, workdir.toString());
      }
      return Conscrypt.isAvailable() ? Conscrypt.newProvider() : null;
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
