/**
 * The binomial distribution's upper tail, exactly: how the built-in load judges a window's error
 * count. A rate compared with a threshold fails a window of n requests on one error whenever the
 * threshold is below 1/n; the question a window can answer is whether its errors are more than the
 * allowed rate explains, which is an exact one-sided binomial test (R's
 * `binom.test(k, n, p, alternative = "greater")`, whose p-value is `pbinom(k - 1, n, p, lower.tail = FALSE)`).
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Stirling's error, log(n!) − log(√(2πn)·(n/e)ⁿ): directly for small n (where n! is exact and
 * the difference loses only absolute bits), else its asymptotic series, whose next term is below
 * 3e-16 at n = 16.
 */
function stirlerr(n: number): number {
  if (n <= 15) {
    let logFactorial = 0;
    for (let i = 2; i <= n; i++) logFactorial += Math.log(i);
    return n === 0 ? 0 : logFactorial - (n + 0.5) * Math.log(n) + n - LOG_SQRT_2PI;
  }
  const nn = 1 / (n * n);
  return (1 / 12 - nn * (1 / 360 - nn * (1 / 1260 - nn * (1 / 1680 - nn / 1188)))) / n;
}

/** x·log(x/m) + m − x without the cancellation of its terms when x is near m (Loader's bd0). */
function bd0(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    let s = (x - m) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/**
 * log P(X = k), for 0 ≤ k ≤ n and 0 < p < 1, by Loader's saddle-point form (as R's dbinom): no
 * sum of large logarithms that cancel, so the result keeps its relative accuracy for n in the
 * hundreds of thousands.
 */
function logPmf(k: number, n: number, p: number): number {
  const q = 1 - p;
  if (k === 0) return p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q);
  if (k === n) return q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p);
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(k, n * p) - bd0(n - k, n * q);
  return lc - 0.5 * (Math.log(2 * Math.PI) + Math.log(k) + Math.log1p(-k / n));
}

/**
 * Σ P(X = j) over j from `from` stepping by `dir` (+1 or −1) while 0 ≤ j ≤ n, with terms taken
 * relative to the first, which must be the largest (`from` at or beyond the mode on that side):
 * every later term is smaller, so nothing overflows and the sum stops once the terms no longer
 * change it. Returns the sum's logarithm.
 */
function logTailSum(from: number, n: number, p: number, dir: 1 | -1): number {
  const odds = p / (1 - p);
  let term = 1;
  let sum = 1;
  for (let j = from; dir > 0 ? j < n : j > 0; j += dir) {
    // P(X = j + 1) / P(X = j) = (n − j)/(j + 1) · p/(1 − p), and its inverse going down.
    term *= dir > 0 ? ((n - j) / (j + 1)) * odds : j / (n - j + 1) / odds;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return logPmf(from, n, p) + Math.log(sum);
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p): R's `pbinom(k - 1, n, p, lower.tail = FALSE)`, to a relative
 * 1e-12 or better also far in the tail (down to the smallest double; below it, 0). Above the
 * mode the tail is summed from k upwards; at or below it, where P(X ≥ k) is not small, it is
 * 1 − P(X ≤ k − 1), summed from k − 1 downwards.
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || !(p >= 0 && p <= 1)) return NaN;
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  const mode = Math.floor((n + 1) * p);
  if (k > mode) return Math.exp(logTailSum(k, n, p, 1));
  return Math.max(0, 1 - Math.exp(logTailSum(k - 1, n, p, -1)));
}
