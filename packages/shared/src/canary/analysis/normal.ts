/**
 * The standard normal distribution's tails and quantiles, to the last few bits of a double: the
 * p-values and interval bounds of the rank-sum test depend on nothing else from it.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** The standard normal density φ(z), with z² split so that its rounding does not reach exp. */
export function normalDensity(z: number): number {
  const a = Math.abs(z);
  const hi = Math.trunc(a * 16) / 16;
  const lo = a - hi; // exact: hi is a with its bits below 1/16 cut off
  return (Math.exp((-hi * hi) / 2) * Math.exp((-lo * (a + hi)) / 2)) / SQRT_2PI;
}

/**
 * The upper tail Q(z) = P(Z > z) of the standard normal, with relative accuracy near 1e-15 also
 * far in the tail (Q(30) ≈ 4.9e-198). Below z = 1.5 the series Φ(z) − ½ = φ(z)·Σ z^(2k+1)/(2k+1)!!
 * (every term positive); beyond it Laplace's continued fraction for Mills' ratio,
 * Q(z) = φ(z) / (z + 1/(z + 2/(z + 3/(z + …)))), evaluated by the modified Lentz method.
 */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 1 - normalUpperTail(-z);
  if (z === Infinity) return 0;
  if (z > 40) return 0; // below the smallest double
  if (z < 1.5) {
    const z2 = z * z;
    let term = z;
    let sum = z;
    for (let k = 1; term > sum * 1e-18; k++) {
      term *= z2 / (2 * k + 1);
      sum += term;
    }
    return 0.5 - normalDensity(z) * sum;
  }
  // Q(z)/φ(z) = 1/(z+ 1/(z+ 2/(z+ 3/(z+ …)))): b_j = z, a_j = j (a_1 = 1 in the numerator).
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let j = 1; j < 5000; j++) {
    d = z + j * d;
    if (d === 0) d = tiny;
    c = z + j / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return normalDensity(z) / f;
}

/** The lower tail Φ(z) = P(Z ≤ z), accurate relatively also for very negative z. */
export function normalLowerTail(z: number): number {
  return normalUpperTail(-z);
}

/**
 * The quantile Φ⁻¹(p) for 0 < p < 1: Abramowitz & Stegun 26.2.23 as a start (error below 4.5e-4),
 * then Halley's iteration on the tail above until it no longer moves.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  if (p > 0.5) return -normalQuantile(1 - p);
  if (p === 0.5) return 0;
  // Lower half: x < 0. Solve Q(-x) = p for t = -x > 0.
  const s = Math.sqrt(-2 * Math.log(p));
  let t =
    s -
    (2.515517 + 0.802853 * s + 0.010328 * s * s) /
      (1 + 1.432788 * s + 0.189269 * s * s + 0.001308 * s * s * s);
  for (let i = 0; i < 50; i++) {
    // f(t) = Q(t) - p, f' = -φ(t), f'' = tφ(t); Halley: t -= f/f' / (1 - f f''/(2 f'^2)).
    const e = normalUpperTail(t) - p;
    const phi = normalDensity(t);
    const newton = -e / phi;
    const step = newton / (1 + (newton * t) / 2);
    t -= step;
    if (Math.abs(step) <= Math.abs(t) * 1e-16) break;
  }
  return -t;
}
