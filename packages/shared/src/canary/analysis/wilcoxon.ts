/**
 * The exact null distribution of the Mann-Whitney U statistic (Wilcoxon rank sum minus its least
 * value) for samples of n and m values without ties: the number of ways each U arises among the
 * C(n+m, n) equally likely orderings. Counted in exact integers with Harding's (1984) product
 * C_q(n+m, n) = Π_{i=1..s} (1 − q^(k+i)) / (1 − q^i) (s = min(n, m), k = max(n, m)), so the tails
 * that p-values come from lose nothing to rounding.
 */

/** Time grows as min(n, m)·n·m big-integer steps; above this the caller uses the normal approximation. */
export const EXACT_WORK_LIMIT = 2_000_000;

/** The distribution of U for n and m values: cumulative counts and their total. */
export interface UDistribution {
  n: number;
  m: number;
  /** `cumulative[u]` = number of orderings with U ≤ u, for u in 0..n·m. */
  cumulative: bigint[];
  total: bigint;
}

const cache = new Map<string, UDistribution>();

/** The exact distribution of U for sample sizes n and m (memoised: a canary asks for the same sizes every window). */
export function uDistribution(n: number, m: number): UDistribution {
  const key = n <= m ? `${n},${m}` : `${m},${n}`;
  const known = cache.get(key);
  if (known) return known;
  const s = Math.min(n, m);
  const k = Math.max(n, m);
  const size = s * k + s + 1;
  const a: bigint[] = new Array<bigint>(size).fill(0n);
  a[0] = 1n;
  let degree = 0;
  for (let i = 1; i <= s; i++) {
    // × (1 − q^(k+i)), from the top down so every term reads the old coefficients.
    const shift = k + i;
    for (let t = degree + shift; t >= shift; t--) a[t]! -= a[t - shift]!;
    // ÷ (1 − q^i): the division is exact, the quotient has degree i·k.
    degree = i * k;
    for (let t = i; t <= degree; t++) a[t]! += a[t - i]!;
    for (let t = degree + 1; t < size; t++) a[t] = 0n;
  }
  const cumulative: bigint[] = new Array<bigint>(n * m + 1);
  let sum = 0n;
  for (let u = 0; u <= n * m; u++) {
    sum += a[u]!;
    cumulative[u] = sum;
  }
  const dist = { n, m, cumulative, total: sum };
  if (cache.size > 64) cache.clear();
  cache.set(key, dist);
  return dist;
}

/** P(U ≤ q) (R's `pwilcox(q, n, m)`). */
export function uLowerTail(dist: UDistribution, q: number): number {
  const u = Math.floor(q + 1e-7);
  if (u < 0) return 0;
  if (u >= dist.n * dist.m) return 1;
  return Number(dist.cumulative[u]!) / Number(dist.total);
}

/** P(U > q) (R's `pwilcox(q, n, m, lower.tail = FALSE)`). */
export function uUpperTail(dist: UDistribution, q: number): number {
  const u = Math.floor(q + 1e-7);
  if (u < 0) return 1;
  if (u >= dist.n * dist.m) return 0;
  return Number(dist.total - dist.cumulative[u]!) / Number(dist.total);
}

/** The least u with P(U ≤ u) ≥ p, for p ≤ ½ (R's `qwilcox(p, n, m)`, with its 10ε allowance for p itself being rounded). */
export function uQuantile(dist: UDistribution, p: number): number {
  const target = p - 10 * Number.EPSILON;
  let lo = 0;
  let hi = dist.n * dist.m;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Number(dist.cumulative[mid]!) / Number(dist.total) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
