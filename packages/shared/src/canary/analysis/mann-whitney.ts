/**
 * The canary's baseline comparison: the canary's latency sample against the stable release's,
 * with a two-sample Mann-Whitney U test (Wilcoxon rank sum), the Hodges-Lehmann estimate of the
 * shift and its confidence interval, judged as Kayenta's `MannWhitneyClassifier` does.
 *
 * The statistics are R's `wilcox.test(x, y, conf.int = TRUE, correct = TRUE)`, and are checked
 * against it: the exact null distribution for fewer than 50 values per side without ties, the
 * normal approximation with tie and continuity correction otherwise. Where R finds the
 * approximate interval and estimate with `uniroot` (to its `tol.root`, 1e-4 by default), this
 * module computes the points the root finder converges to: the interval's bounds are the
 * pairwise differences where the corrected statistic crosses the normal quantile, and the
 * estimate is the median of the pairwise differences, the Hodges-Lehmann estimator itself.
 */
import { CanaryError } from '../errors.ts';
import { normalQuantile, normalUpperTail } from './normal.ts';
import { PairwiseDifferences } from './pairwise.ts';
import { EXACT_WORK_LIMIT, uDistribution, uLowerTail, uQuantile, uUpperTail } from './wilcoxon.ts';

/** A two-sided Mann-Whitney U test of x against y, with the shift of x from y. */
export interface MannWhitneyResult {
  /** U of x: the pairs with x_i > y_j, plus half those with x_i = y_j (R's `W`). */
  u: number;
  /** Two-sided p-value of "x and y have the same distribution". */
  pValue: number;
  /** Hodges-Lehmann estimate of the shift x − y: the median of all differences x_i − y_j. */
  estimate: number;
  /** Confidence interval of the shift, at the requested confidence; bounds are pairwise differences. */
  confidenceInterval: [number, number];
  /** Sizes of x and y. */
  n: number;
  m: number;
  /** Whether the exact null distribution was used (otherwise the normal approximation). */
  exact: boolean;
}

export interface MannWhitneyOptions {
  /** Confidence level of the interval, strictly between 0 and 1. Default 0.95 (R's). */
  confidence?: number;
  /**
   * `'auto'` (default, R's choice): the exact distribution when both samples have fewer than 50
   * values and no value occurs twice. `true`: the exact distribution whenever there are no ties
   * and it stays cheap (min(n, m)·n·m ≤ 2·10⁶, e.g. 126 per side); otherwise, as with ties (which
   * R also refuses), the normal approximation. `false`: always the normal approximation.
   */
  exact?: boolean | 'auto';
}

/**
 * The two-sample, two-sided Mann-Whitney U test of `x` against `y` with the Hodges-Lehmann
 * estimate of the shift x − y and its confidence interval: what R's
 * `wilcox.test(x, y, conf.int = TRUE, conf.level = confidence, correct = TRUE)` reports.
 *
 * Memory is O(n + m): the n·m pairwise differences are never all held at once.
 *
 * @throws CanaryError `METRIC_ERROR` for an empty sample or a value that is not a finite number;
 *   `INVALID_PLAN` for a confidence outside (0, 1).
 */
export function mannWhitney(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const confidence = options.confidence ?? 0.95;
  checkConfidence(confidence);
  checkSample(x, 'x');
  checkSample(y, 'y');
  const n = x.length;
  const m = y.length;
  const nm = n * m;
  const ranks = rankSum(x, y);
  const u = ranks.xRankSum - (n * (n + 1)) / 2;
  const mode = options.exact ?? 'auto';
  const exact =
    !ranks.ties &&
    (mode === 'auto' ? n < 50 && m < 50 : mode === true && Math.min(n, m) * nm <= EXACT_WORK_LIMIT);
  const diffs = new PairwiseDifferences(x, y);
  const alpha = 1 - confidence;
  const estimate = nm % 2 === 1 ? diffs.at((nm - 1) / 2) : (diffs.at(nm / 2 - 1) + diffs.at(nm / 2)) / 2;

  if (exact) {
    const dist = uDistribution(n, m);
    const tail = u > nm / 2 ? uUpperTail(dist, u - 1) : uLowerTail(dist, u);
    const pValue = Math.min(2 * tail, 1);
    let qu = uQuantile(dist, alpha / 2);
    if (qu === 0) qu = 1;
    const ql = nm - qu;
    return { u, pValue, estimate, confidenceInterval: [diffs.at(qu - 1), diffs.at(ql)], n, m, exact };
  }

  // Normal approximation, with the tie correction of the variance and the continuity correction.
  const sigma = tieCorrectedSigma(n, m, ranks.tieSum);
  const dz = u - nm / 2;
  const z = (dz - Math.sign(dz) * 0.5) / sigma;
  // All n + m values equal: no evidence either way (R answers NaN).
  const pValue = sigma === 0 ? 1 : 2 * normalUpperTail(Math.abs(z));

  // The statistic of x − d against y, for every d that is no pairwise difference, depends only on
  // c = #{x_i − y_j > d} (its variance only on the ties within each sample), and grows with c.
  const sigmaAway = tieCorrectedSigma(n, m, tiesWithin(x) + tiesWithin(y));
  const statistic = (c: number) => (c - nm / 2 - Math.sign(c - nm / 2) * 0.5) / sigmaAway;
  // The shift d at which the statistic falls below zq: the least d leaving at most c* differences above it.
  const crossing = (zq: number) => {
    let lo = -1; // statistic(c) - zq < 0 for every c ≤ lo …
    let hi = nm + 1; // … and not for c ≥ hi
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (statistic(mid) - zq < 0) lo = mid;
      else hi = mid;
    }
    const index = Math.min(Math.max(nm - 1 - lo, 0), nm - 1);
    return diffs.at(index);
  };
  const lower = crossing(-normalQuantile(alpha / 2));
  const upper = crossing(normalQuantile(alpha / 2));
  return { u, pValue, estimate, confidenceInterval: [lower, upper], n, m, exact };
}

/** Kayenta's classes of a metric: `high`/`low` (significantly, beyond the tolerance), `pass`, or `no-data`. */
export type LatencyClassification = 'pass' | 'high' | 'low' | 'no-data';

/** The verdict on one window's latency comparison. */
export interface LatencyJudgement {
  classification: LatencyClassification;
  /** The test of canary against baseline; absent for `no-data`. Its shift is canary − baseline. */
  result?: MannWhitneyResult;
  /** Kayenta's effect size: mean(canary) / mean(baseline); NaN when either mean is 0 or for `no-data`. */
  effect: number;
  /** One sentence for a release manager: the shift, its interval, the ratio, and why this class. */
  reason: string;
}

export interface LatencyJudgementOptions {
  /** Confidence level of the interval. Default 0.98 (Kayenta's). */
  confidence?: number;
  /** The interval must clear this fraction of the estimated shift. Default 0.25 (Kayenta's). */
  tolerance?: number;
  /**
   * Fewer values than this on either side is `no-data`. Default: the least equal size at which the
   * two-sided test at `confidence` can reject at all (2 / C(2k, k) ≤ 1 − confidence): 5 at 0.98.
   * With 4 per side, even samples that do not overlap have p = 2/70 ≈ 0.029, and the "98%"
   * interval is the whole range of differences.
   */
  minSamples?: number;
  /** `high` also needs mean(canary)/mean(baseline) ≥ this (Kayenta's `effectSize.allowedIncrease`). Default 1. */
  allowedIncrease?: number;
  /** `low` also needs mean(canary)/mean(baseline) ≤ this (Kayenta's `effectSize.allowedDecrease`). Default 1. */
  allowedDecrease?: number;
  /** Unit of the values, for the reason. Default `ms`. */
  unit?: string;
}

/**
 * Judges one analysis window: the canary's latency sample against the baseline's, as Kayenta's
 * `MannWhitneyClassifier` (kayenta-judge, with NetflixACAJudge's confidence 0.98 and tolerance
 * 0.25) does with direction `either`:
 *
 * - NaN values are dropped (Kayenta's NaN strategy `remove`); fewer than `minSamples` left on
 *   either side is `no-data`.
 * - Identical samples, or one value throughout, `pass`.
 * - Otherwise the test of canary against baseline at `confidence`. With `t = tolerance·|estimate|`:
 *   `high` when the interval's lower bound is above t (and the mean ratio ≥ `allowedIncrease`),
 *   `low` when its upper bound is below −t (and the mean ratio ≤ `allowedDecrease`), else `pass`.
 *   The tolerance is thus relative to the estimated shift, not to the baseline's latency: the
 *   canary is `high` when the data rule out every shift below a quarter of the one estimated.
 *
 * Kayenta adds Gaussian noise when both samples are constant; here the test's interval is then
 * the one difference there is, with the same outcome and without randomness.
 *
 * For latency, `high` is the failure: map classifications with {@link latencyVerdict}.
 *
 * @throws CanaryError `METRIC_ERROR` for an infinite value; `INVALID_PLAN` for options out of range.
 */
export function classifyLatency(
  canary: readonly number[],
  baseline: readonly number[],
  options: LatencyJudgementOptions = {},
): LatencyJudgement {
  const confidence = options.confidence ?? 0.98;
  checkConfidence(confidence);
  const tolerance = options.tolerance ?? 0.25;
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) {
    throw invalidOption(
      'tolerance',
      tolerance,
      'a fraction of the estimated shift, 0 or more (Kayenta: 0.25)',
    );
  }
  const minSamples = options.minSamples ?? leastSampleSize(confidence);
  if (!(Number.isInteger(minSamples) && minSamples >= 1)) {
    throw invalidOption('minSamples', minSamples, 'a whole number of values per side, 1 or more');
  }
  const allowedIncrease = options.allowedIncrease ?? 1;
  const allowedDecrease = options.allowedDecrease ?? 1;
  for (const [name, v] of [
    ['allowedIncrease', allowedIncrease],
    ['allowedDecrease', allowedDecrease],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw invalidOption(name, v, 'a ratio of means above 0 (Kayenta: 1)');
  }
  const unit = options.unit ?? 'ms';
  const c = canary.filter((v) => !Number.isNaN(v));
  const b = baseline.filter((v) => !Number.isNaN(v));
  const dropped = canary.length - c.length + baseline.length - b.length;
  const droppedNote = dropped > 0 ? `; ${dropped} NaN value${dropped === 1 ? '' : 's'} dropped` : '';
  const level = percent(confidence);

  if (c.length < minSamples || b.length < minSamples) {
    return {
      classification: 'no-data',
      effect: NaN,
      reason:
        `too few latency values to compare: canary ${c.length}, baseline ${b.length}${droppedNote}; ` +
        `at least ${minSamples} per side are needed for a ${level} comparison`,
    };
  }
  const result = mannWhitney(c, b, { confidence });
  const sizes = `canary ${c.length}, baseline ${b.length} values${droppedNote}`;
  const sortedC = [...c].sort((p, q) => p - q);
  const sortedB = [...b].sort((p, q) => p - q);
  if (sortedC.length === sortedB.length && sortedC.every((v, i) => v === sortedB[i])) {
    return {
      classification: 'pass',
      result,
      effect: 1,
      reason: `canary and baseline latencies are identical (${sizes})`,
    };
  }
  if (
    sortedC[0] === sortedC[sortedC.length - 1] &&
    sortedC[0] === sortedB[0] &&
    sortedB[0] === sortedB[sortedB.length - 1]
  ) {
    return {
      classification: 'pass',
      result,
      effect: 1,
      reason: `every canary and baseline latency is ${fmt(sortedC[0]!)} ${unit} (${sizes})`,
    };
  }

  const effect = meanRatio(c, b);
  const [lower, upper] = result.confidenceInterval;
  const margin = tolerance * Math.abs(result.estimate);
  const high = lower > margin && (Number.isNaN(effect) || effect >= allowedIncrease);
  const low = upper < -margin && (Number.isNaN(effect) || effect <= allowedDecrease);
  const tol = `the tolerance, ${percent(tolerance)} of the shift`;
  const ratio = Number.isNaN(effect) ? 'mean ratio undefined' : `mean ${fmt(effect)}× the baseline's`;
  const head =
    `canary latency ${signed(result.estimate)} ${unit} against the baseline (median pairwise difference; ` +
    `${level} CI ${signed(lower)} to ${signed(upper)} ${unit}; p = ${fmtP(result.pValue)}; ${ratio}; ${sizes})`;
  let why: string;
  if (high) why = `significantly slower: the interval's low end is above ${tol} (${signed(margin)} ${unit})`;
  else if (low)
    why = `significantly faster: the interval's high end is below ${tol} (${signed(-margin)} ${unit})`;
  else if (lower > margin)
    why = `significantly slower, but the mean ratio is below the allowed increase ${fmt(allowedIncrease)}×`;
  else if (upper < -margin)
    why = `significantly faster, but the mean ratio is above the allowed decrease ${fmt(allowedDecrease)}×`;
  else if (lower > 0) why = `slower, but the interval's low end is within ${tol} (${signed(margin)} ${unit})`;
  else if (upper < 0)
    why = `faster, but the interval's high end is within ${tol} (${signed(-margin)} ${unit})`;
  else why = `no significant difference at ${level}`;
  return { classification: high ? 'high' : low ? 'low' : 'pass', result, effect, reason: `${head}: ${why}` };
}

/**
 * The latency policy: a canary significantly slower than the baseline fails, a faster one (`low`)
 * passes, and `no-data` is undefined, which the analysis loop treats by the metric's `onNoData`.
 */
export function latencyVerdict(classification: LatencyClassification): 'pass' | 'fail' | undefined {
  if (classification === 'high') return 'fail';
  if (classification === 'no-data') return undefined;
  return 'pass';
}

// --- ranks -------------------------------------------------------------------------------------

/** Midranks of x and y pooled: the rank sum of x, Σ(t³ − t) over groups of t tied values, and whether any tie exists. */
function rankSum(
  x: readonly number[],
  y: readonly number[],
): { xRankSum: number; tieSum: number; ties: boolean } {
  const n = x.length;
  const all = [...x, ...y];
  const order = Array.from(all.keys()).sort((a, b) => all[a]! - all[b]!);
  let xRankSum = 0;
  let tieSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && all[order[end]!] === all[order[start]!]) end++;
    const t = end - start;
    const midrank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) if (order[i]! < n) xRankSum += midrank;
    tieSum += t * t * t - t;
    start = end;
  }
  return { xRankSum, tieSum, ties: tieSum > 0 };
}

/** Σ(t³ − t) over the groups of t equal values within one sample. */
function tiesWithin(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let start = 0; start < sorted.length;) {
    let end = start + 1;
    while (end < sorted.length && sorted[end] === sorted[start]) end++;
    const t = end - start;
    sum += t * t * t - t;
    start = end;
  }
  return sum;
}

/** The standard deviation of U under the null, corrected for ties (the same expression as R's). */
function tieCorrectedSigma(n: number, m: number, tieSum: number): number {
  return Math.sqrt(((n * m) / 12) * (n + m + 1 - tieSum / ((n + m) * (n + m - 1))));
}

// --- checks and words ---------------------------------------------------------------------------

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw invalidOption(
      'confidence',
      confidence,
      'a level strictly between 0 and 1, e.g. 0.98 (Kayenta) or 0.95',
    );
  }
}

function checkSample(values: readonly number[], name: string): void {
  if (values.length === 0) {
    throw new CanaryError(
      'METRIC_ERROR',
      `the Mann-Whitney test needs at least one value in ${name}, which is empty`,
      {
        fix: 'compare only windows with data on both sides (classifyLatency answers no-data instead)',
      },
    );
  }
  const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) {
    throw new CanaryError('METRIC_ERROR', `${name}[${bad}] is ${String(values[bad])}, not a finite number`, {
      fix: 'give latencies as finite numbers; leave out requests that got no answer (count them as errors)',
    });
  }
}

function invalidOption(name: string, value: unknown, valid: string): CanaryError {
  return new CanaryError(
    'INVALID_PLAN',
    `the latency comparison's ${name} is ${String(value)}; it must be ${valid}`,
    {
      fix: `set ${name} to ${valid}`,
    },
  );
}

/** The least k with 2 / C(2k, k) ≤ 1 − confidence: below it no two samples of k values differ significantly. */
function leastSampleSize(confidence: number): number {
  const alpha = 1 - confidence;
  let k = 1;
  let central = 2; // C(2, 1)
  while (2 / central > alpha && k < 1000) {
    k++;
    central = (central * (2 * k) * (2 * k - 1)) / (k * k);
  }
  return Math.max(k, 2);
}

function meanRatio(canary: readonly number[], baseline: readonly number[]): number {
  const mean = (v: readonly number[]) => v.reduce((s, a) => s + a, 0) / v.length;
  const mc = mean(canary);
  const mb = mean(baseline);
  return mc === 0 || mb === 0 ? NaN : mc / mb;
}

/** A value for people: whole numbers from 100 up, three significant digits below. */
function fmt(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
  return String(Number(s));
}

function signed(v: number): string {
  return v > 0 ? `+${fmt(v)}` : fmt(v);
}

function fmtP(p: number): string {
  return p >= 0.001 ? String(Number(p.toPrecision(2))) : p.toExponential(1);
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}
