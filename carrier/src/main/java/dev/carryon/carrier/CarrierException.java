package dev.carryon.carrier;

import java.io.IOException;

/** A carrier cannot be used as asked; the message says which carrier or file and why. */
public class CarrierException extends IOException {
  public CarrierException(String message) {
    super(message);
  }

  public CarrierException(String message, Throwable cause) {
    super(message, cause);
  }
}
