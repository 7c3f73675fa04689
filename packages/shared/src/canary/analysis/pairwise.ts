/**
 * Order statistics of the n·m pairwise differences x_i − y_j without writing them down: the
 * Hodges-Lehmann estimate and its interval are a few of them, and a window of 50 000 values per
 * side has 2.5·10⁹ differences. Memory is O(n + m); time O((n + m)·log(n·m)) counting passes.
 *
 * With x ascending and y descending, row i (x_i − y_j over j) ascends, and so does every column:
 * the differences form a sorted matrix. Each round counts, in one staircase walk, how many
 * differences lie below a pivot (the weighted median of the rows' middle candidates, so a quarter
 * of the candidates go each round) and keeps the side that holds the wanted rank (Johnson &
 * Mizoguchi 1978; Monahan 1984 for the Hodges-Lehmann estimator). The values returned are the
 * differences as floating point computes them, fl(x_i − y_j), exactly those a sort would give.
 */

/** The differences of two samples, ready to be asked for order statistics. */
export class PairwiseDifferences {
  readonly count: number;
  private readonly xs: Float64Array;
  private readonly yd: Float64Array;

  /** `x` and `y` need not be sorted; they are copied. */
  constructor(x: readonly number[], y: readonly number[]) {
    this.xs = Float64Array.from(x).sort();
    this.yd = Float64Array.from(y).sort().reverse();
    this.count = x.length * y.length;
  }

  /** The difference at 0-based rank `k` (0 ≤ k < n·m) of all x_i − y_j in ascending order. */
  at(k: number): number {
    const { xs, yd } = this;
    const n = xs.length;
    const m = yd.length;
    if (!(Number.isInteger(k) && k >= 0 && k < n * m))
      throw new RangeError(`rank ${k} is outside 0..${n * m - 1}`);
    const value = (i: number, j: number) => xs[i]! - yd[j]!;
    // Candidates of row i are its columns [low[i], high[i]); all left of them are below the answer, all right above.
    const low = new Float64Array(n);
    const high = new Float64Array(n).fill(m);
    const below = new Float64Array(n);
    const atMost = new Float64Array(n);
    for (;;) {
      let remaining = 0;
      let left = 0;
      for (let i = 0; i < n; i++) {
        remaining += high[i]! - low[i]!;
        left += low[i]!;
      }
      if (remaining <= Math.max(n, 64)) {
        const rest: number[] = [];
        for (let i = 0; i < n; i++) for (let j = low[i]!; j < high[i]!; j++) rest.push(value(i, j));
        rest.sort((a, b) => a - b);
        return rest[k - left]!;
      }
      const pivot = this.weightedMedianOfRows(low, high, remaining);
      // Staircase: the count of a row below the pivot can only shrink as x grows.
      let lt = m;
      let le = m;
      let totalLt = 0;
      let totalLe = 0;
      for (let i = 0; i < n; i++) {
        while (lt > 0 && !(value(i, lt - 1) < pivot)) lt--;
        while (le > 0 && !(value(i, le - 1) <= pivot)) le--;
        below[i] = lt;
        atMost[i] = le;
        totalLt += lt;
        totalLe += le;
      }
      if (k < totalLt) {
        for (let i = 0; i < n; i++) if (below[i]! < high[i]!) high[i] = below[i]!;
      } else if (k >= totalLe) {
        for (let i = 0; i < n; i++) if (atMost[i]! > low[i]!) low[i] = atMost[i]!;
      } else {
        return pivot;
      }
    }
  }

  /** The weighted median of the middle candidate of each row, weighted by the row's candidates. */
  private weightedMedianOfRows(low: Float64Array, high: Float64Array, remaining: number): number {
    const mids: Array<[number, number]> = [];
    for (let i = 0; i < low.length; i++) {
      const w = high[i]! - low[i]!;
      if (w > 0) mids.push([this.xs[i]! - this.yd[Math.floor((low[i]! + high[i]!) / 2)]!, w]);
    }
    mids.sort((a, b) => a[0] - b[0]);
    let acc = 0;
    for (const [v, w] of mids) {
      acc += w;
      if (2 * acc >= remaining) return v;
    }
    return mids[mids.length - 1]![0];
  }
}
