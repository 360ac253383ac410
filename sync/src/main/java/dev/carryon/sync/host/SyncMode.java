package dev.carryon.sync.host;

/** How a sync chose the clusters it compares, and what it accepts as a host image's old content. */
public enum SyncMode {
  /** The image's sync record names the current generation and its sample still matches. */
  UP_TO_DATE,
  /**
   * No record of this image: it must hold the carrier's base (or, after a cut first sync, a kept
   * generation) wherever the carrier's chain has clusters above the base, and the base elsewhere.
   */
  FIRST,
  /**
   * The image was last synced to a kept generation: every cluster where it may differ is allocated
   * above the base in the current chain, and there it must hold a kept generation from its
   * recorded one on.
   */
  INCREMENTAL,
  /**
   * The image was last synced to a generation no longer kept (the keep window or a reset passed
   * it): its sample must still read as recorded (or as the current generation), and every cluster
   * of the disk is compared.
   */
  FULL,
}
