package dev.carryon.carrier.client;

import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The TLS set-up of a client of an {@code http://} URL, where nothing is TLS: a context that
 * refuses every use. The JDK's client otherwise makes the default one when it is built (the TLS
 * provider, the trust store's certificates, every cipher suite checked): 0.1-0.3 s of each command
 * on a URL, for nothing.
 */
final class NoTls {
  private NoTls() {}

  /** A context that refuses to make any TLS connection. */
  static SSLContext context() {
    return new SSLContext(new Refusing(), null, "none") {};
  }

  /** Parameters for {@link #context()}, so the client does not ask the context for its own. */
  static SSLParameters parameters() {
    return new SSLParameters();
  }

  /** Refuses every TLS use: a client of {@code http://} never makes one. */
  private static final class Refusing extends SSLContextSpi {
    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {}

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      throw refused();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      throw refused();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      throw refused();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      throw refused();
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      throw refused();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      throw refused();
    }

    private static UnsupportedOperationException refused() {
      return new UnsupportedOperationException("no TLS: this client speaks plain http:// only");
    }
  }
}
