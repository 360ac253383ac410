package dev.carryon.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ByteSizeTest {
  private final ByteSize size = new ByteSize();

  @Test
  void wholeNumbersAndBinarySuffixes() {
    assertEquals(512, size.convert("512"));
    assertEquals(64 << 10, size.convert("64K"));
    assertEquals(1 << 20, size.convert("1m"));
    assertEquals(10L << 30, size.convert("10G"));
  }

  @Test
  void refusesWhatIsNotASize() {
    for (String bad : new String[] {"", "G", "-1", "10X", "1.5G", "99999999999P"}) {
      assertThrows(CommandLine.TypeConversionException.class, () -> size.convert(bad), bad);
    }
  }
}
