/**
 * CVSS v3.0 and v3.1 base scores from vector strings, per the FIRST specification documents
 * (section 7 "CVSS v3.x Equations", section 7.4 "Metric Values", section 5 "Qualitative Severity
 * Rating Scale"). v3.1 rounds up with the integer-based `Roundup` of its Appendix A (which
 * avoids floating-point artefacts such as `Roundup(4.000000001)`); v3.0 rounds up to one
 * decimal directly. The base equations are otherwise the same in both versions.
 */
import { ScanError } from './errors.ts';

/** The qualitative rating of a score: none, low, medium, high, critical. */
export type CvssRating = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface CvssScore {
  version: '3.0' | '3.1';
  vector: string;
  baseScore: number;
  rating: CvssRating;
}

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;
/** Privileges Required depends on Scope. */
const PR = {
  U: { N: 0.85, L: 0.62, H: 0.27 },
  C: { N: 0.85, L: 0.68, H: 0.5 },
} as const;

const BASE_METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
const ALLOWED: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
};

/** CVSS v3.1 Appendix A `Roundup`: the smallest number with one decimal that is ≥ the input, computed on integers. */
export function roundup31(input: number): number {
  const intInput = Math.round(input * 100000);
  if (intInput % 10000 === 0) return intInput / 100000;
  return (Math.floor(intInput / 10000) + 1) / 10;
}

/** CVSS v3.0 round up: the smallest one-decimal number ≥ the input. */
export function roundup30(input: number): number {
  return Math.ceil(input * 10) / 10;
}

/** The qualitative rating of a base score (section 5). */
export function cvssRating(score: number): CvssRating {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/**
 * Parses a `CVSS:3.x/AV:…` vector and computes its base score. Temporal and environmental
 * metrics may be present and are validated only as `name:value` pairs (they do not change the
 * base score). Throws `ScanError` `INVALID_CVSS` naming what is wrong.
 */
export function cvss3BaseScore(vector: string): CvssScore {
  const fail = (what: string): never => {
    throw new ScanError('INVALID_CVSS', `CVSS vector "${vector}": ${what}`);
  };
  const parts = vector.trim().split('/');
  const prefix = /^CVSS:(3\.[01])$/.exec(parts[0] ?? '');
  if (!prefix) return fail('does not start with CVSS:3.0/ or CVSS:3.1/');
  const version = prefix[1] as '3.0' | '3.1';
  const m: Record<string, string> = {};
  for (const part of parts.slice(1)) {
    const [name, value, extra] = part.split(':');
    if (!name || !value || extra !== undefined) fail(`"${part}" is not a metric:value pair`);
    if (m[name!] !== undefined) fail(`metric ${name} appears twice`);
    m[name!] = value!;
  }
  for (const name of BASE_METRICS) {
    const value = m[name];
    if (value === undefined) fail(`base metric ${name} is missing`);
    if (!ALLOWED[name]!.includes(value!))
      fail(`${name}:${value} is not a valid value (${ALLOWED[name]!.join(', ')})`);
  }
  const scope = m.S as 'U' | 'C';
  const iss =
    1 - (1 - WEIGHTS.CIA[m.C as 'H']) * (1 - WEIGHTS.CIA[m.I as 'H']) * (1 - WEIGHTS.CIA[m.A as 'H']);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability =
    8.22 *
    WEIGHTS.AV[m.AV as 'N'] *
    WEIGHTS.AC[m.AC as 'L'] *
    PR[scope][m.PR as 'N'] *
    WEIGHTS.UI[m.UI as 'N'];
  const roundup = version === '3.1' ? roundup31 : roundup30;
  let baseScore: number;
  if (impact <= 0) baseScore = 0;
  else if (scope === 'U') baseScore = roundup(Math.min(impact + exploitability, 10));
  else baseScore = roundup(Math.min(1.08 * (impact + exploitability), 10));
  return { version, vector: vector.trim(), baseScore, rating: cvssRating(baseScore) };
}
