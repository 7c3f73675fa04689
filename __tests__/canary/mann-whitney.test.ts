/**
 * The baseline comparison's statistics against R's `wilcox.test` (Debian's r-base-core) on many
 * generated sample pairs, and the Kayenta-style classification of latency windows.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import {
  CanaryError,
  classifyLatency,
  latencyVerdict,
  mannWhitney,
  type MannWhitneyResult,
} from '@release-actions/shared/canary';
import { withCode } from '../codes.ts';
import { skipIf } from '../jest-helpers.ts';

/** A seeded generator: uniform (0, 1), standard normal, lognormal. */
function random(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const int = (lo: number, hi: number) => lo + Math.floor(uniform() * (hi - lo + 1));
  const sample = (length: number, draw: () => number) => Array.from({ length }, draw);
  return { uniform, normal, int, sample };
}

interface Case {
  kind: string;
  x: number[];
  y: number[];
  confidence: number;
  exact: 'auto' | boolean;
}

/**
 * Sample pairs of 5 to 200 values shaped as latency windows are: lognormal around 100 ms, the
 * canary as fast, a little or much slower, or faster; with full precision (no ties), rounded to
 * a millisecond or to 10 ms (ties, few distinct values), heavy-tailed, of unequal sizes, and not
 * overlapping at all; at confidence 0.98 mostly, also 0.9, 0.95, 0.99; exact left to R's choice,
 * or forced either way.
 */
function generatedCases(count: number): Case[] {
  const r = random(20261203);
  const latency = (length: number, factor: number, sigma = 0.5) =>
    r.sample(length, () => factor * Math.exp(Math.log(100) + sigma * r.normal()));
  const factors = [1, 1, 1.02, 1.1, 1.3, 2, 0.7];
  const levels = [0.98, 0.98, 0.98, 0.95, 0.9, 0.99];
  const cases: Case[] = [];
  for (let i = 0; cases.length < count; i++) {
    const factor = factors[i % factors.length]!;
    const confidence = levels[i % levels.length]!;
    const kind = i % 9;
    if (kind === 0) {
      // Small, continuous: R's exact distribution.
      cases.push({
        kind: 'exact',
        x: latency(r.int(5, 49), factor),
        y: latency(r.int(5, 49), 1),
        confidence,
        exact: 'auto',
      });
    } else if (kind === 1) {
      cases.push({
        kind: 'normal',
        x: latency(r.int(50, 200), factor),
        y: latency(r.int(50, 200), 1),
        confidence,
        exact: 'auto',
      });
    } else if (kind === 2) {
      const ms = (v: number[]) => v.map(Math.round);
      cases.push({
        kind: 'ties-1ms',
        x: ms(latency(r.int(5, 200), factor)),
        y: ms(latency(r.int(5, 200), 1)),
        confidence,
        exact: 'auto',
      });
    } else if (kind === 3) {
      const buckets = (v: number[]) => v.map((a) => 10 * Math.round(a / 10));
      cases.push({
        kind: 'ties-10ms',
        x: buckets(latency(r.int(5, 120), factor, 0.3)),
        y: buckets(latency(r.int(5, 120), 1, 0.3)),
        confidence,
        exact: 'auto',
      });
    } else if (kind === 4) {
      cases.push({
        kind: 'forced-normal',
        x: latency(r.int(5, 49), factor),
        y: latency(r.int(5, 49), 1),
        confidence,
        exact: false,
      });
    } else if (kind === 5) {
      cases.push({
        kind: 'forced-exact',
        x: latency(r.int(50, 70), factor),
        y: latency(r.int(50, 70), 1),
        confidence,
        exact: true,
      });
    } else if (kind === 6) {
      // Heavy tail: a few requests ten times slower than the rest.
      const tail = (length: number, f: number) =>
        latency(length, f, 1.2).map((v) => (r.uniform() < 0.05 ? v * 10 : v));
      cases.push({
        kind: 'heavy-tail',
        x: tail(r.int(5, 200), factor),
        y: tail(r.int(5, 200), 1),
        confidence,
        exact: 'auto',
      });
    } else if (kind === 7) {
      // Unequal sizes: a small canary window against a large baseline one, either way round.
      const a = latency(r.int(5, 15), factor);
      const b = latency(r.int(150, 200), 1);
      cases.push({ kind: 'unequal', x: i % 2 ? a : b, y: i % 2 ? b : a, confidence, exact: 'auto' });
    } else {
      // No overlap: every canary value slower than every baseline one (tiny p-values, extreme ranks).
      const y = latency(r.int(5, 100), 1, 0.2);
      const top = Math.max(...y);
      cases.push({
        kind: 'separated',
        x: r.sample(r.int(5, 100), () => top + 1 + 50 * r.uniform()),
        y,
        confidence,
        exact: 'auto',
      });
    }
  }
  return cases;
}

interface RResult {
  w: number;
  p: number;
  est: number;
  lo: number;
  hi: number;
  exact: boolean;
}

/**
 * R's answers for every case from one Rscript run. `tol.root` is tightened from its default 1e-4
 * (the uniroot tolerance of R's approximate interval and estimate) so that R's own root finding
 * is not what the comparison measures.
 */
function rAnswers(cases: Case[]): RResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'mann-whitney-'));
  try {
    const input = join(dir, 'cases.txt');
    writeFileSync(
      input,
      cases
        .map(
          (c) =>
            `${c.confidence} ${c.exact === 'auto' ? 'NULL' : String(c.exact).toUpperCase()} ${c.x.join(',')} ${c.y.join(',')}\n`,
        )
        .join(''),
    );
    const script = join(dir, 'wilcox.R');
    writeFileSync(
      script,
      `for (line in readLines(commandArgs(TRUE)[1])) {
  f <- strsplit(line, " ", fixed = TRUE)[[1]]
  x <- as.numeric(strsplit(f[3], ",", fixed = TRUE)[[1]])
  y <- as.numeric(strsplit(f[4], ",", fixed = TRUE)[[1]])
  exact <- if (f[2] == "NULL") NULL else as.logical(f[2])
  r <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE, conf.level = as.numeric(f[1]),
                                    exact = exact, correct = TRUE, tol.root = 1e-7))
  cat(sprintf('{"w":%.17g,"p":%.17g,"est":%.17g,"lo":%.17g,"hi":%.17g,"exact":%s}\\n',
              r$statistic, r$p.value, r$estimate, r$conf.int[1], r$conf.int[2],
              if (grepl("exact", r$method)) "true" else "false"))
}
`,
    );
    const run = spawnSync('Rscript', [script, input], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RResult);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hasR = spawnSync('Rscript', ['--version']).error === undefined;

/** All pairwise differences x_i − y_j, ascending: the definition the estimate and interval are checked with. */
function sortedDifferences(x: number[], y: number[]): Float64Array {
  const d = new Float64Array(x.length * y.length);
  let k = 0;
  for (const a of x) for (const b of y) d[k++] = a - b;
  return d.sort();
}

/** |a − b| relative to |b|, or absolute when |b| < 1. */
const deviation = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe("Mann-Whitney U test against R's wilcox.test", () => {
  skipIf(!hasR && 'Rscript is missing: apt-get install r-base-core').it(
    'agrees with R on 540 generated latency sample pairs: W, p-value, exact or not, Hodges-Lehmann estimate and interval',
    () => {
      const cases = generatedCases(540);
      const t0 = performance.now();
      const answers = rAnswers(cases);
      const rSeconds = (performance.now() - t0) / 1000;
      assert.equal(answers.length, cases.length);
      const worst = { p: 0, exactBounds: 0, normalBounds: 0, oddEstimate: 0 };
      const failures: string[] = [];
      cases.forEach((c, i) => {
        const ours: MannWhitneyResult = mannWhitney(c.x, c.y, { confidence: c.confidence, exact: c.exact });
        const R = answers[i]!;
        const label = `case ${i} (${c.kind}, n=${c.x.length}, m=${c.y.length}, ${c.confidence})`;
        const check = (ok: boolean, what: string) => {
          if (!ok) failures.push(`${label}: ${what}`);
        };
        check(ours.u === R.w, `U ${ours.u} vs W ${R.w}`);
        check(ours.exact === R.exact, `exact ${ours.exact} vs ${R.exact}`);
        const pDev = R.p === 0 ? ours.pValue : Math.abs(ours.pValue - R.p) / R.p;
        worst.p = Math.max(worst.p, pDev);
        check(pDev <= 1e-9, `p ${ours.pValue} vs ${R.p}`);

        // The Hodges-Lehmann estimate is the median of the pairwise differences, by definition.
        const d = sortedDifferences(c.x, c.y);
        const nm = d.length;
        const median = nm % 2 ? d[(nm - 1) / 2]! : (d[nm / 2 - 1]! + d[nm / 2]!) / 2;
        check(ours.estimate === median, `estimate ${ours.estimate} vs median of differences ${median}`);

        const [lo, hi] = ours.confidenceInterval;
        if (R.exact) {
          // Both are order statistics of the same differences: equal to the bit.
          const dev = Math.max(deviation(lo, R.lo), deviation(hi, R.hi), deviation(ours.estimate, R.est));
          worst.exactBounds = Math.max(worst.exactBounds, dev);
          check(dev === 0, `exact: ${ours.estimate} [${lo}, ${hi}] vs ${R.est} [${R.lo}, ${R.hi}]`);
        } else {
          // R's bounds are uniroot's approximations (tol.root 1e-7) of the differences ours are.
          const dev = Math.max(deviation(lo, R.lo), deviation(hi, R.hi));
          worst.normalBounds = Math.max(worst.normalBounds, dev);
          check(dev <= 1e-6, `interval [${lo}, ${hi}] vs [${R.lo}, ${R.hi}]`);
          check(
            d.includes(lo) && d.includes(hi),
            `interval bounds [${lo}, ${hi}] are not pairwise differences`,
          );
          if (nm % 2) {
            const e = deviation(ours.estimate, R.est);
            worst.oddEstimate = Math.max(worst.oddEstimate, e);
            check(e <= 1e-6, `estimate ${ours.estimate} vs ${R.est}`);
          } else {
            // With n·m even, R's uncorrected statistic is zero on the whole gap between the two
            // middle differences, and uniroot stops wherever it first lands in it; the median is
            // that gap's middle.
            const [a, b] = [d[nm / 2 - 1]!, d[nm / 2]!];
            check(
              R.est >= a - 1e-6 * Math.max(1, Math.abs(a)) && R.est <= b + 1e-6 * Math.max(1, Math.abs(b)),
              `R's estimate ${R.est} outside [${a}, ${b}]`,
            );
          }
        }
      });
      const kinds = new Map<string, number>();
      for (const c of cases) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      const exactCount = answers.filter((a) => a.exact).length;
      console.log(
        `${cases.length} pairs, R ${rSeconds.toFixed(1)} s (${[...kinds].map(([k, v]) => `${k} ${v}`).join(', ')}; ${exactCount} exact); ` +
          `largest deviations from R: p-value ${worst.p.toExponential(2)} (relative), exact estimate/interval ${worst.exactBounds}, ` +
          `approximate interval ${worst.normalBounds.toExponential(2)}, approximate estimate (odd n·m) ${worst.oddEstimate.toExponential(2)}`,
      );
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} disagreements`);
    },
  );
});

describe('mannWhitney', () => {
  const r = random(7);
  const lognormal = (length: number, factor = 1) =>
    r.sample(length, () => factor * Math.exp(4.6 + 0.5 * r.normal()));

  it('uses the exact distribution as R does: both samples under 50 and no ties, or when asked and affordable', () => {
    assert.equal(mannWhitney(lognormal(49), lognormal(49)).exact, true);
    assert.equal(mannWhitney(lognormal(49), lognormal(50)).exact, false);
    assert.equal(mannWhitney(lognormal(80), lognormal(80), { exact: true }).exact, true);
    assert.equal(mannWhitney([1, 2, 3, 3, 4], [5, 6, 7, 8, 9]).exact, false, 'ties: normal approximation');
    assert.equal(mannWhitney(lognormal(10), lognormal(10), { exact: false }).exact, false);
    // min(n, m)·n·m beyond 2·10⁶: the approximation rather than minutes of counting.
    assert.equal(mannWhitney(lognormal(200), lognormal(200), { exact: true }).exact, false);
  });

  it('compares windows of 20 000 values per side (4·10⁸ pairwise differences) in memory proportional to the samples', () => {
    const x = lognormal(20_000, 1.5);
    const y = lognormal(20_000);
    const t0 = performance.now();
    const result = mannWhitney(x, y, { confidence: 0.98 });
    const seconds = (performance.now() - t0) / 1000;
    const [lo, hi] = result.confidenceInterval;
    assert.ok(lo < result.estimate && result.estimate < hi);
    // The shift of 1.5×lognormal(100 ms) from lognormal(100 ms) is near 50 ms.
    assert.ok(result.estimate > 40 && result.estimate < 60, String(result.estimate));
    assert.ok(result.pValue < 1e-100);
    assert.ok(seconds < 30, `${seconds} s`);
  });

  it('gives one difference as estimate and interval when each sample is one value repeated', () => {
    const result = mannWhitney([120, 120, 120, 120, 120, 120], [100, 100, 100, 100, 100, 100]);
    assert.equal(result.estimate, 20);
    assert.deepEqual(result.confidenceInterval, [20, 20]);
    assert.equal(result.u, 36);
  });

  it('answers p = 1 when every value is the same (R: NaN)', () => {
    const result = mannWhitney([5, 5, 5], [5, 5, 5, 5]);
    assert.equal(result.pValue, 1);
    assert.equal(result.estimate, 0);
  });

  it('refuses an empty sample, a value that is not a finite number, and a confidence outside (0, 1)', () => {
    assert.throws(() => mannWhitney([], [1, 2]), withCode(CanaryError, 'METRIC_ERROR'));
    assert.throws(() => mannWhitney([1, NaN], [1, 2]), withCode(CanaryError, 'METRIC_ERROR'));
    assert.throws(() => mannWhitney([1, 2], [1, Infinity]), withCode(CanaryError, 'METRIC_ERROR'));
    assert.throws(
      () => mannWhitney([1, 2], [3, 4], { confidence: 98 }),
      withCode(CanaryError, 'INVALID_PLAN'),
    );
    assert.throws(
      () => mannWhitney([1, 2], [3, 4], { confidence: 1 }),
      withCode(CanaryError, 'INVALID_PLAN'),
    );
  });
});

describe('classifyLatency (Kayenta: confidence 0.98, tolerance 0.25)', () => {
  const r = random(42);
  const lognormal = (length: number, factor = 1, sigma = 0.5) =>
    r.sample(length, () => factor * Math.exp(Math.log(100) + sigma * r.normal()));

  it('passes a canary whose latencies come from the same distribution as the baseline', () => {
    const j = classifyLatency(lognormal(300), lognormal(300));
    assert.equal(j.classification, 'pass', j.reason);
    assert.equal(latencyVerdict(j.classification), 'pass');
    assert.match(j.reason, /no significant difference at 98%/);
  });

  it('fails a canary twice as slow: high', () => {
    const j = classifyLatency(lognormal(200, 2), lognormal(200));
    assert.equal(j.classification, 'high', j.reason);
    assert.equal(latencyVerdict(j.classification), 'fail');
    assert.ok(j.effect > 1.7 && j.effect < 2.3, String(j.effect));
    assert.ok(j.result!.confidenceInterval[0] > 0.25 * j.result!.estimate);
    assert.match(
      j.reason,
      /^canary latency \+\d+(\.\d+)? ms against the baseline .*98% CI .*: significantly slower/,
    );
  });

  it('classifies a faster canary low, which the latency policy passes', () => {
    const j = classifyLatency(lognormal(200, 0.6), lognormal(200));
    assert.equal(j.classification, 'low', j.reason);
    assert.equal(latencyVerdict(j.classification), 'pass');
    assert.match(j.reason, /significantly faster/);
  });

  it('answers no-data for fewer than 5 values a side at 98% (4 a side can never differ significantly), 4 at 95%', () => {
    const four = classifyLatency([300, 310, 320, 330], [100, 101, 102, 103]);
    assert.equal(four.classification, 'no-data');
    assert.equal(latencyVerdict(four.classification), undefined);
    assert.equal(four.result, undefined);
    assert.match(four.reason, /too few latency values to compare: canary 4, baseline 4; at least 5 per side/);
    assert.equal(classifyLatency(lognormal(3), lognormal(200)).classification, 'no-data');
    // Five a side that do not overlap are significant at 98%: the least size that can fail.
    assert.equal(
      classifyLatency([300, 310, 320, 330, 340], [100, 101, 102, 103, 104]).classification,
      'high',
    );
    assert.equal(
      classifyLatency([300, 310, 320, 330], [100, 101, 102, 103], { confidence: 0.95 }).classification,
      'high',
    );
    assert.equal(
      classifyLatency(lognormal(10, 3), lognormal(10), { minSamples: 20 }).classification,
      'no-data',
    );
  });

  it('measures the tolerance against the estimated shift, as Kayenta does: a small but certain slowdown is high unless allowedIncrease asks for more', () => {
    // 3% slower with little noise and many requests: the interval is narrow around +3 ms.
    const baseline = lognormal(1000, 1, 0.05);
    const canary = lognormal(1000, 1.03, 0.05);
    const j = classifyLatency(canary, baseline);
    assert.equal(j.classification, 'high', j.reason);
    const lenient = classifyLatency(canary, baseline, { allowedIncrease: 1.1 });
    assert.equal(lenient.classification, 'pass', lenient.reason);
    assert.match(
      lenient.reason,
      /significantly slower, but the mean ratio is below the allowed increase 1.1×/,
    );
  });

  it('passes a slower canary whose interval reaches within 25% of the shift of no shift', () => {
    // Noisy samples and a modest shift: the interval is above 0 but not above a quarter of the estimate.
    const normal = (length: number, mean: number) => r.sample(length, () => mean + 10 * r.normal());
    let found;
    for (let attempt = 0; attempt < 50 && !found; attempt++) {
      const j = classifyLatency(normal(100, 104.5), normal(100, 100));
      const [lo] = j.result!.confidenceInterval;
      if (lo > 0 && lo <= 0.25 * j.result!.estimate) found = j;
    }
    assert.ok(found, 'no generated pair had its interval between 0 and a quarter of the shift');
    assert.equal(found.classification, 'pass', found.reason);
    assert.match(
      found.reason,
      /slower, but the interval's low end is within the tolerance, 25% of the shift/,
    );
  });

  it('judges constant samples without noise: one value against another is high, the same value throughout passes', () => {
    const j = classifyLatency(Array(10).fill(120), Array(10).fill(100));
    assert.equal(j.classification, 'high', j.reason);
    assert.deepEqual(j.result!.confidenceInterval, [20, 20]);
    const same = classifyLatency(Array(10).fill(100), Array(12).fill(100));
    assert.equal(same.classification, 'pass');
    assert.match(same.reason, /every canary and baseline latency is 100 ms/);
    const identical = classifyLatency([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]);
    assert.equal(identical.classification, 'pass');
    assert.match(identical.reason, /identical/);
  });

  it('drops NaN values (Kayenta: remove), refuses infinite ones and options out of range', () => {
    const j = classifyLatency([NaN, ...lognormal(20, 2), NaN], lognormal(20));
    assert.equal(j.classification, 'high');
    assert.equal(j.result!.n, 20);
    assert.match(j.reason, /2 NaN values dropped/);
    assert.equal(classifyLatency([NaN, NaN, NaN, NaN, NaN, 1], lognormal(20)).classification, 'no-data');
    assert.throws(
      () => classifyLatency([...lognormal(10), Infinity], lognormal(10)),
      withCode(CanaryError, 'METRIC_ERROR'),
    );
    assert.throws(
      () => classifyLatency(lognormal(10), lognormal(10), { tolerance: -1 }),
      withCode(CanaryError, 'INVALID_PLAN'),
    );
    assert.throws(
      () => classifyLatency(lognormal(10), lognormal(10), { minSamples: 2.5 }),
      withCode(CanaryError, 'INVALID_PLAN'),
    );
    assert.throws(
      () => classifyLatency(lognormal(10), lognormal(10), { confidence: 0 }),
      withCode(CanaryError, 'INVALID_PLAN'),
    );
  });
});
