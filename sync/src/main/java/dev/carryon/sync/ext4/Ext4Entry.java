package dev.carryon.sync.ext4;

/**
 * One name in a directory and the inode it names.
 *
 * @param name the entry's name (never "." or "..", never containing '/' or NUL), decoded as UTF-8
 * @param file the inode
 */
public record Ext4Entry(String name, Ext4File file) {}
