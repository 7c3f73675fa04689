/**
 * Expected HTTP statuses: codes, ranges and classes, e.g. `200-299,304` or `2xx,404`.
 */
import { ProbeError } from './errors.ts';

/** A parsed set of statuses. `text` is the canonical spelling, for messages. */
export interface StatusSet {
  readonly ranges: ReadonlyArray<readonly [low: number, high: number]>;
  readonly text: string;
}

function invalid(spec: string, problem: string): ProbeError {
  return new ProbeError(
    'INVALID_STATUS_SPEC',
    `"${spec}" ${problem}: use codes and ranges from 100 to 599 separated by commas, e.g. 200-299,304 or 2xx`,
  );
}

function code(text: string, spec: string): number {
  if (!/^\d{3}$/.test(text)) throw invalid(spec, `has "${text}", which is not a status code`);
  const n = Number(text);
  if (n < 100 || n > 599) throw invalid(spec, `has ${n}, which is outside 100-599`);
  return n;
}

/** Parses `200-299,304`, `2xx`, `200` (commas or new lines between parts). */
export function parseStatusSet(spec: string): StatusSet {
  const parts = spec
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw invalid(spec, 'is empty');
  const ranges: Array<[number, number]> = [];
  for (const part of parts) {
    const cls = /^([1-5])xx$/i.exec(part);
    if (cls) {
      const base = Number(cls[1]) * 100;
      ranges.push([base, base + 99]);
      continue;
    }
    const dash = part.split('-').map((p) => p.trim());
    if (dash.length === 1) {
      const n = code(dash[0]!, spec);
      ranges.push([n, n]);
    } else if (dash.length === 2) {
      const low = code(dash[0]!, spec);
      const high = code(dash[1]!, spec);
      if (low > high) throw invalid(spec, `has the range ${part}, whose start is above its end`);
      ranges.push([low, high]);
    } else {
      throw invalid(spec, `has "${part}", which is not a range`);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  return {
    ranges,
    text: ranges.map(([low, high]) => (low === high ? String(low) : `${low}-${high}`)).join(','),
  };
}

export function statusMatches(set: StatusSet, status: number): boolean {
  return set.ranges.some(([low, high]) => status >= low && status <= high);
}
