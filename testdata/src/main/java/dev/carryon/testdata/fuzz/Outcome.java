package dev.carryon.testdata.fuzz;

/**
 * What one input did to a target.
 *
 * @param kind passed, refused cleanly, or a failure (and which)
 * @param signature for a failure, what tells it from others: its kind, the exception type and the
 *     frame it came from; for a clean refusal, the exception type and the frame that threw it
 * @param detail the message (for a failure, what is wrong with the outcome and the error's own
 *     message)
 * @param error the exception, or null
 * @param allocatedBytes heap the run allocated on its thread, or -1 when the JVM cannot tell
 */
public record Outcome(Kind kind, String signature, String detail, Throwable error, long allocatedBytes) {
  /** Kinds of outcomes; all but the first two are failures. */
  public enum Kind {
    /** The input was accepted and read without an error. */
    PASSED,
    /** The documented error type, with a message naming the file. */
    REFUSED,
    /** Another exception, or the documented type with a message that does not say what it should. */
    UNEXPECTED_ERROR,
    /** The run took longer than the hang limit. */
    HANG,
    /** The run allocated more heap than the target allows for an input of its size. */
    ALLOCATION,
    /** The input's files changed, or files appeared beside them: the carrier was written. */
    WROTE_INPUT,
    /** A valid seed was not read through: the harness or the seed maker is wrong. */
    SEED_REFUSED;

    public boolean isFailure() {
      return this != PASSED && this != REFUSED;
    }
  }

  public boolean isFailure() {
    return kind.isFailure();
  }

  /**
   * Where an error comes from: its top frame and that frame's caller when both are carryon's
   * (errors are often made by a small factory, such as {@code vol.corrupt(...)}, so the caller is
   * what tells one check from another); else the top frame and the first frame of carryon's code.
   */
  static String origin(StackTraceElement[] stack) {
    if (stack.length == 0) {
      return "(no stack)";
    }
    String top = frame(stack[0]);
    if (ours(stack[0])) {
      return stack.length > 1 && ours(stack[1]) ? top + " < " + frame(stack[1]) : top;
    }
    for (StackTraceElement e : stack) {
      if (ours(e)) {
        return top + " via " + frame(e);
      }
    }
    return top;
  }

  private static boolean ours(StackTraceElement e) {
    return e.getClassName().startsWith("dev.carryon.") && !e.getClassName().startsWith("dev.carryon.testdata.fuzz.");
  }

  private static String frame(StackTraceElement e) {
    String cls = e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1);
    return cls + "." + e.getMethodName() + (e.getLineNumber() > 0 ? ":" + e.getLineNumber() : "");
  }
}
