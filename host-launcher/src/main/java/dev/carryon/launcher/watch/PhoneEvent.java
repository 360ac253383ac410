package dev.carryon.launcher.watch;

/**
 * A USB device with an ADB interface plugged in or out.
 *
 * @param attached true when it came, false when it went
 * @param usb where it sits, as adb names it ({@code usb:1-4.2} without the prefix: bus, then the
 *     port path)
 * @param vendorId its USB vendor id
 * @param productId its USB product id
 */
public record PhoneEvent(boolean attached, String usb, int vendorId, int productId) {}
