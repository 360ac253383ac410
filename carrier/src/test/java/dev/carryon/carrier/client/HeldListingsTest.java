package dev.carryon.carrier.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carryon.carrier.storage.StoredFile;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HeldListingsTest {
  private static final List<StoredFile> LAYERS = List.of(new StoredFile("layers/L2.qcow2", 7));

  @Test
  void nothingIsKeptWithoutTheLock() {
    HeldListings held = new HeldListings();
    held.keep("layers", held.stamp("layers"), LAYERS);
    assertNull(held.get("layers"));
    assertNull(held.size("layers/L2.qcow2"));
  }

  @Test
  void aListingIsKeptUnderTheLockAndAnswersSizes() {
    HeldListings held = new HeldListings();
    held.lockTaken();
    held.keep("layers", held.stamp("layers"), LAYERS);
    assertEquals(LAYERS, held.get("layers"));
    assertEquals(OptionalLong.of(7), held.size("layers/L2.qcow2"));
    assertEquals(OptionalLong.empty(), held.size("layers/L3.qcow2"));
    assertTrue(held.exists("layers"));
    assertNull(held.size("states/S2.zst"), "no listing of states: unknown, not absent");
    held.lockGone();
    assertNull(held.get("layers"));
  }

  @Test
  void aChangeDropsItsFolderOnly() {
    HeldListings held = new HeldListings();
    held.lockTaken();
    held.keep("layers", held.stamp("layers"), LAYERS);
    held.keep("", held.stamp(""), List.of(new StoredFile("carryon.json", 10)));
    held.changing("layers");
    assertNull(held.get("layers"));
    assertNull(held.stamp("layers"), "nothing fetched during the change can be kept");
    held.changed("layers");
    assertNull(held.get("layers"));
    assertEquals(1, held.get("").size());
  }

  @Test
  void aListingFetchedWhileItsFolderChangedIsNotKept() {
    HeldListings held = new HeldListings();
    held.lockTaken();
    Long stamp = held.stamp("tmp");
    // Another thread's upload begins and ends while the listing is on its way.
    held.changing("tmp");
    held.changed("tmp");
    held.keep("tmp", stamp, List.of(new StoredFile("tmp/S3.zst", 4096)));
    assertNull(held.get("tmp"));
    held.keep("tmp", held.stamp("tmp"), List.of());
    assertEquals(List.of(), held.get("tmp"));
    assertFalse(held.exists("tmp"), "an empty listing does not prove the folder is there");
  }

  @Test
  void aChangeOfEveryFolderDropsEveryListing() {
    HeldListings held = new HeldListings();
    held.lockTaken();
    Long stamp = held.stamp("states");
    held.keep("layers", held.stamp("layers"), LAYERS);
    held.changing(HeldListings.EVERY_FOLDER);
    assertNull(held.get("layers"));
    assertNull(held.stamp("states"));
    held.changed(HeldListings.EVERY_FOLDER);
    held.keep("states", stamp, List.of());
    assertNull(held.get("states"));
  }
}
