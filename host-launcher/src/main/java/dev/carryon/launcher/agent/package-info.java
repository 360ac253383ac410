/**
 * The host agent: a resident, warm {@code carryon} JVM that runs {@code resume} and {@code end} for
 * the {@code carryon} launcher script, so that those commands pay neither a JVM's start nor its
 * cold code. The script talks to it over loopback TCP (bash reaches no UNIX socket), proving
 * itself with the token in the owner-only {@link dev.carryon.launcher.agent.AgentFile}; the wire
 * format is {@link dev.carryon.launcher.agent.AgentRequest}'s (asked) and {@link
 * dev.carryon.launcher.agent.ClientLink}'s (answered). Anything the agent cannot run exactly as
 * the command would run alone, it declines, and the script runs the command itself.
 */
package dev.carryon.launcher.agent;
