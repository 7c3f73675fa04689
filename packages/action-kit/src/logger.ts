/** The library's {@link Logger}, backed by the runner's log. */
import * as core from '@actions/core';
import type { Logger } from '@release-actions/shared';

/**
 * A logger that writes through `@actions/core`. `scrub` rewrites every message first: the runner
 * masks registered secrets in its own log, but a value a server echoed back in another encoding is
 * not registered, so an action that forwards user secrets (health-check headers) scrubs them too.
 */
export function runnerLogger(scrub: (message: string) => string = (m) => m): Logger {
  return {
    debug: (m) => core.debug(scrub(m)),
    info: (m) => core.info(scrub(m)),
    warning: (m) => core.warning(scrub(m)),
  };
}

/** Reads a secret input and masks it (and each of its lines) the moment it is read. */
export function secretInput(name: string, options: { trimWhitespace?: boolean } = {}): string {
  const value = core.getInput(name, options);
  maskSecret(value);
  return value;
}

/**
 * Masks a secret, and each line of a multi-line one: the runner matches masks line by line, so a
 * PEM key or a token list is only hidden whole when each line is registered too. PEM armour lines
 * (`-----BEGIN …`) are public and left alone.
 */
export function maskSecret(value: string): void {
  if (value === '') return;
  core.setSecret(value);
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  if (lines.length > 1)
    for (const line of lines) if (line.length >= 8 && !line.startsWith('-----')) core.setSecret(line);
}
