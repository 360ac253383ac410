/**
 * Folding a carrier's disk into a host image ({@link dev.carryon.sync.host.HostSync}), with the
 * sync record kept on the carrier and the optional reset of the carrier that follows.
 */
package dev.carryon.sync.host;
