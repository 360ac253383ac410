package dev.carryon.carrier.storage;

import java.util.regex.Pattern;

/**
 * What a file name given to a {@link CarrierStorage} may look like: one or two segments of
 * letters, digits, {@code .}, {@code _} and {@code -}, separated by {@code /}, no segment {@code .}
 * or {@code ..} and none starting with a dot, at most {@value #MAX_LENGTH} characters. Checked by
 * every storage (and every server) before a name touches a file system, so that neither a crafted
 * manifest nor a crafted request reaches outside the carrier.
 */
public final class StorageNames {
  /** Longest name accepted. */
  public static final int MAX_LENGTH = 128;

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");

  private StorageNames() {}

  /** Returns {@code name} when it is a valid file name, else throws naming the problem. */
  public static String check(String name) {
    String problem = problem(name, false);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return name;
  }

  /** Returns {@code folder} when it is {@code ""} or a valid one-segment folder name. */
  public static String checkFolder(String folder) {
    String problem = problem(folder, true);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return folder;
  }

  /** What is wrong with {@code name} as a file name (or, with {@code folder}, a folder), or null. */
  public static String problem(String name, boolean folder) {
    if (name == null) {
      return "no file name given";
    }
    if (folder && name.isEmpty()) {
      return null;
    }
    if (name.length() > MAX_LENGTH) {
      return "name '" + name.substring(0, 40) + "...' is longer than " + MAX_LENGTH + " characters";
    }
    String[] segments = name.split("/", -1);
    if (segments.length > (folder ? 1 : 2)) {
      return "name '" + name + "' has more than " + (folder ? 1 : 2) + " level(s)";
    }
    for (String s : segments) {
      if (!SEGMENT.matcher(s).matches()) {
        return "name '" + name + "' is not a carrier file name (segments of letters, digits, '.',"
            + " '_' and '-', none empty or starting with '.')";
      }
    }
    return null;
  }
}
