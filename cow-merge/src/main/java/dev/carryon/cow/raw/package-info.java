/** The raw image format: guest bytes stored as they are. */
package dev.carryon.cow.raw;
