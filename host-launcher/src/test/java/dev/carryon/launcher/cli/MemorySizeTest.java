package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MemorySizeTest {
  private final MemorySize size = new MemorySize();

  @Test
  void readsMebibytesWithOrWithoutUnit() {
    assertEquals(256L, size.convert("256M"));
    assertEquals(256L, size.convert("256"));
    assertEquals(256L, size.convert("256MiB"));
    assertEquals(2048L, size.convert("2g"));
    assertEquals(1L, size.convert("1024K"));
    assertEquals(1024L * 1024, size.convert("1T"));
  }

  @Test
  void refusesWhatIsNotWholeMebibytes() {
    for (String bad : new String[] {"", "0", "1.5G", "100K", "-1M", "12X", "M"}) {
      assertThrows(CommandLine.TypeConversionException.class, () -> size.convert(bad), bad);
    }
  }
}
