package dev.carryon.companion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The APK the build made, as Android's own tools read it: signed and verified, aligned, the
 * launchable activity and the foreground service declared, and every class the manifest names
 * present in the dex (R8 kept what the manifest needs).
 */
class ApkPackagedTest {
  private static final Path APK = Paths.get(System.getProperty("carryon.companion.apk"));

  @Test
  void apksignerVerifiesTheSignature() throws Exception {
    String out = run("apksigner", "verify", "--verbose", APK.toString());
    assertTrue(out.startsWith("Verifies"), out);
    assertTrue(out.contains("Verified using v2 scheme (APK Signature Scheme v2): true"), out);
  }

  @Test
  void isAlignedWithTheResourceTableStored() throws Exception {
    run("zipalign", "-c", "-p", "4", APK.toString());
    try (ZipFile zip = new ZipFile(APK.toFile())) {
      // Android 11+ refuses to install an app targeting it whose resource table is compressed.
      assertEquals(ZipEntry.STORED, zip.getEntry("resources.arsc").getMethod());
    }
  }

  @Test
  void badgingShowsTheLaunchableActivityAndTheService() throws Exception {
    String badging = run("aapt", "dump", "badging", APK.toString());
    assertTrue(badging.contains("package: name='dev.carryon.companion'"), badging);
    assertTrue(badging.contains("sdkVersion:'26'"), badging);
    assertTrue(badging.contains("targetSdkVersion:'34'"), badging);
    assertTrue(
        badging.contains("launchable-activity: name='dev.carryon.companion.app.CarriersActivity'"),
        badging);
    // Badging names a service only by the intents it answers; it lists one without as this.
    assertTrue(badging.lines().anyMatch(l -> l.equals("other-services")), badging);
    assertTrue(
        badging.contains("uses-permission: name='android.permission.FOREGROUND_SERVICE_CONNECTED_DEVICE'"),
        badging);

    String manifest = run("aapt", "dump", "xmltree", APK.toString(), "AndroidManifest.xml");
    String service = element(manifest, "service");
    assertTrue(service.contains("android:name(0x01010003)=\".app.ServingService\""), service);
    // 0x10: connectedDevice, the type Android 14 asks a foreground service to declare.
    assertTrue(service.contains("android:foregroundServiceType(0x01010599)=(type 0x11)0x10"), service);
    assertTrue(service.contains("android:permission(0x01010006)=\"android.permission.DUMP\""), service);
    String provider = element(manifest, "provider");
    assertTrue(
        provider.contains("android:authorities(0x01010018)=\"dev.carryon.companion.pairing\""),
        provider);
  }

  @Test
  void theDexHoldsEveryClassTheManifestNames() throws Exception {
    byte[] dex;
    try (ZipFile zip = new ZipFile(APK.toFile());
        InputStream in = zip.getInputStream(zip.getEntry("classes.dex"))) {
      dex = in.readAllBytes();
    }
    String strings = new String(dex, StandardCharsets.ISO_8859_1);
    for (String c :
        List.of(
            "app/CarriersActivity",
            "app/ServingService",
            "app/PairingProvider",
            "CompanionServer",
            "WireHandler",
            "http/HttpServer")) {
      String descriptor = "Ldev/carryon/companion/" + c + ";";
      assertTrue(strings.contains(descriptor), descriptor + " is not in classes.dex");
    }
    assertTrue(strings.contains("Ldev/carryon/carrier/protocol/ServedCarrier;"));
    assertTrue(!strings.contains("Ldev/carryon/companion/DesktopRunner;"), "the desktop runner is not for the phone");
  }

  /** The lines of the first {@code kind} element of an {@code aapt dump xmltree}, to the next element. */
  private static String element(String tree, String kind) {
    int at = tree.indexOf("E: " + kind + " ");
    assertTrue(at >= 0, "no " + kind + " in\n" + tree);
    int next = tree.indexOf("E: ", at + 3);
    return next < 0 ? tree.substring(at) : tree.substring(at, next);
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", command) + ":\n" + out);
    return out;
  }
}
