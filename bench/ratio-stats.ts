/**
 * How sure a run of bench:checkout is about its ratio. Each round measures both sides, so its ratio is one sample; the
 * rounds' spread on this VM (0.64 to 0.95 for the same code) is far wider than any one change we make, so a ratio
 * means something only with its interval. Ratios are compared on a log scale (a round at half the rate and one at
 * double cancel out), so the centre is the geometric mean of the rounds and the interval is Student's t on the logs.
 */

/** Two-sided 95% quantiles of Student's t for 1 to 30 degrees of freedom; past 30, the normal's 1.96 is close enough. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export interface RatioInterval {
  /** Geometric mean of the rounds' ratios. */
  mean: number;
  /** 95% confidence interval of that mean; null with fewer than two rounds (no spread to go on). */
  ci95: [number, number] | null;
}

export function ratioInterval(ratios: number[]): RatioInterval {
  if (ratios.length === 0 || ratios.some((r) => !(r > 0) || !Number.isFinite(r))) {
    throw new RangeError(`ratios must be positive and finite, got [${ratios.join(', ')}]`);
  }
  const logs = ratios.map(Math.log);
  const n = logs.length;
  const m = logs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean: Math.exp(m), ci95: null };
  const sd = Math.sqrt(logs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
  const half = (T95[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { mean: Math.exp(m), ci95: [Math.exp(m - half), Math.exp(m + half)] };
}

/** `met` when the whole interval is at or above the target, `not met` when it is all below, else `undecided`. */
export function targetVerdict(interval: RatioInterval, target: number): 'met' | 'not met' | 'undecided' {
  if (!interval.ci95) return 'undecided';
  if (interval.ci95[0] >= target) return 'met';
  if (interval.ci95[1] < target) return 'not met';
  return 'undecided';
}
