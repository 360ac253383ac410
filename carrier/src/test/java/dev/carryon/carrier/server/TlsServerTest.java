package dev.carryon.carrier.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.protocol.CarrierRoot;
import dev.carryon.carrier.protocol.Protocol;
import dev.carryon.carrier.protocol.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server with TLS: a key store made by the JDK's keytool, a client that trusts its certificate. */
class TlsServerTest {
  private static final String PASSWORD = "carryon-test";

  @TempDir Path dir;

  @Test
  void servesHttpsWithTheKeyStoreGiven() throws Exception {
    Path keyStore = dir.resolve("server.p12");
    keytool(keyStore);
    String token = Tokens.newToken();
    Path carrier = Files.createDirectories(dir.resolve("carrier"));
    try (CarrierServer server =
        CarrierServer.start(
            CarrierRoot.single(carrier, token, "test", Clock.systemUTC()),
            "127.0.0.1", 0, new CarrierServer.Tls(keyStore, PASSWORD))) {
      assertTrue(server.uri().toString().startsWith("https://127.0.0.1:"), server.uri().toString());
      HttpClient client = HttpClient.newBuilder().sslContext(trusting(keyStore)).build();
      HttpResponse<String> info =
          client.send(
              HttpRequest.newBuilder(server.uri().resolve(Protocol.INFO))
                  .header(Protocol.AUTHORIZATION, Protocol.BEARER + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, info.statusCode(), info.body());
      assertTrue(info.body().contains("\"protocol\":1"), info.body());
      // Plain HTTP to the TLS port gets no answer of the protocol.
      HttpRequest plain =
          HttpRequest.newBuilder(
                  java.net.URI.create("http://127.0.0.1:" + server.port() + "/" + Protocol.INFO))
              .header(Protocol.AUTHORIZATION, Protocol.BEARER + token)
              .build();
      try {
        HttpResponse<String> r = HttpClient.newHttpClient().send(plain, HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
      } catch (IOException refused) {
        // The TLS connector may also just close the connection.
      }
      // A client that does not trust the certificate does not get through.
      assertThrows(
          IOException.class,
          () -> HttpClient.newHttpClient().send(
              HttpRequest.newBuilder(server.uri().resolve(Protocol.INFO)).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
  }

  private static SSLContext trusting(Path keyStore) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  private static void keytool(Path keyStore) throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "carryon", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
                "-keystore", keyStore.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-keypass", PASSWORD)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool did not finish");
    assertEquals(0, p.exitValue(), out);
  }
}
