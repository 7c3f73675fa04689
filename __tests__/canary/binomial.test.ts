/**
 * The binomial upper tail that judges the built-in load's error counts, against R's `pbinom` and
 * `binom.test` (Debian's r-base-core): windows of a few requests to a minute at the highest load
 * rate, rates from a healthy service's 0.1 % to coin flips, counts from none to all, tails down to
 * the smallest doubles.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from '@jest/globals';
import { binomialUpperTail } from '@release-actions/shared/canary';
import { skipIf } from '../jest-helpers.ts';

const hasR = spawnSync('Rscript', ['--version']).error === undefined;

/** R's P(X ≥ k) for every case, from one Rscript run. */
function rUpperTails(cases: ReadonlyArray<[number, number, number]>): number[] {
  const expr = `k <- c(${cases.map((c) => c[0]).join(',')}); n <- c(${cases.map((c) => c[1]).join(',')}); p <- c(${cases.map((c) => c[2]).join(',')}); cat(sprintf('%.17g', pbinom(k - 1, n, p, lower.tail = FALSE)), sep = '\\n')`;
  const run = spawnSync('Rscript', ['-e', expr], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split('\n').map(Number);
}

describe('binomialUpperTail', () => {
  it("gives binom.test's one-sided p-values for errors in a window of 100 requests at 0.2 %", () => {
    // R: binom.test(k, 100, 0.002, alternative = "greater")$p.value, k = 0…5
    const r = [1, 0.1814332, 0.01739175, 0.001119103, 5.382635e-5, 2.056877e-6];
    r.forEach((expected, k) => {
      const ours = binomialUpperTail(k, 100, 0.002);
      assert.ok(Math.abs(ours - expected) / expected < 1e-6, `k=${k}: ${ours} vs R's ${expected}`);
    });
  });

  it('is exact at the edges: no errors, all errors, rates of 0 and 1, and nonsense', () => {
    assert.equal(binomialUpperTail(0, 100, 0.002), 1);
    assert.equal(binomialUpperTail(1, 100, 0), 0);
    assert.equal(binomialUpperTail(0, 100, 0), 1);
    assert.equal(binomialUpperTail(100, 100, 1), 1);
    assert.equal(binomialUpperTail(101, 100, 0.5), 0);
    assert.ok(Math.abs(binomialUpperTail(1, 1, 0.3) - 0.3) < 1e-15);
    assert.ok(Math.abs(binomialUpperTail(100, 100, 0.5) - 2 ** -100) / 2 ** -100 < 1e-13);
    assert.ok(Number.isNaN(binomialUpperTail(1, 10, 1.5)));
    assert.ok(Number.isNaN(binomialUpperTail(1, 10.5, 0.1)));
  });

  skipIf(!hasR && 'Rscript is missing: apt-get install r-base-core').it(
    "agrees with R's pbinom to 1e-12 on windows of 1 to 60000 requests, rates 0.1 % to 90 %, tails down to 1e-300",
    () => {
      const cases: Array<[number, number, number]> = [];
      for (const n of [1, 7, 20, 100, 200, 1000, 1800, 5000, 60_000])
        for (const p of [0.001, 0.002, 0.01, 0.05, 0.2, 0.5, 0.9]) {
          const mean = n * p;
          const sd = Math.sqrt(n * p * (1 - p));
          const ks = new Set(
            [
              0,
              1,
              2,
              3,
              5,
              Math.floor(mean),
              Math.ceil(mean),
              Math.floor(mean + sd),
              Math.round(mean + 3 * sd),
              Math.round(mean + 10 * sd),
              Math.round(mean - 2 * sd),
              Math.floor((mean + n) / 2),
              n - 1,
              n,
            ].filter((k) => k >= 0 && k <= n),
          );
          for (const k of ks) cases.push([k, n, p]);
        }
      const answers = rUpperTails(cases);
      assert.equal(answers.length, cases.length);
      const failures: string[] = [];
      let worst = 0;
      cases.forEach(([k, n, p], i) => {
        const ours = binomialUpperTail(k, n, p);
        const R = answers[i]!;
        if (R < 1e-300) {
          if (ours > 1e-300) failures.push(`P(X ≥ ${k} | ${n}, ${p}): ${ours} vs R's ${R}`);
          return;
        }
        const dev = Math.abs(ours - R) / R;
        worst = Math.max(worst, dev);
        if (dev > 1e-12) failures.push(`P(X ≥ ${k} | ${n}, ${p}): ${ours} vs R's ${R} (${dev})`);
      });
      assert.deepEqual(failures, [], `worst relative deviation ${worst}`);
      assert.ok(cases.length > 400, `${cases.length} cases`);
    },
  );
});
