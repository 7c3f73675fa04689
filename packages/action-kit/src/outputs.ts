/** Step outputs, set and logged as they are. */
import * as core from '@actions/core';

export type OutputValue = string | number | boolean;

/**
 * Sets a step output and logs it unchanged: a newline list is logged as a newline list, so what the
 * log shows is exactly what `steps.<id>.outputs.<name>` holds.
 */
export function setOutput(name: string, value: OutputValue): void {
  const text = String(value);
  core.setOutput(name, text);
  core.info(text.includes('\n') ? `output ${name}:\n${text}` : `output ${name}: ${text}`);
}
