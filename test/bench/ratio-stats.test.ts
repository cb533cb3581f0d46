/** bench:checkout's verdict on its target rests on this interval: check it against values worked out by hand. */
import { ratioInterval, targetVerdict } from '../../bench/ratio-stats';

describe('ratioInterval', () => {
  it('is the geometric mean with a t interval on the logs (worked by hand for 0.8, 0.9, 1.0)', () => {
    // logs -0.22314, -0.10536, 0: mean -0.10950, sd 0.11163, se 0.06445, t(2 df) 4.303, half width 0.27732
    const r = ratioInterval([0.8, 0.9, 1.0]);
    expect(r.mean).toBeCloseTo(0.8963, 3);
    expect(r.ci95![0]).toBeCloseTo(0.6792, 3);
    expect(r.ci95![1]).toBeCloseTo(1.1827, 3);
  });

  it('treats a round at half the rate and one at double as cancelling out', () => {
    expect(ratioInterval([0.5, 2]).mean).toBeCloseTo(1, 10);
  });

  it('narrows with more rounds of the same spread', () => {
    const width = (xs: number[]) => ratioInterval(xs).ci95![1] - ratioInterval(xs).ci95![0];
    expect(width([0.8, 1.0, 0.8, 1.0, 0.8, 1.0, 0.8, 1.0])).toBeLessThan(width([0.8, 1.0]) / 5);
  });

  it('gives no interval for a single round, and refuses ratios that are not positive', () => {
    expect(ratioInterval([0.9])).toEqual({ mean: expect.closeTo(0.9, 10), ci95: null });
    expect(() => ratioInterval([])).toThrow(RangeError);
    expect(() => ratioInterval([0.9, 0])).toThrow(RangeError);
    expect(() => ratioInterval([0.9, Number.NaN])).toThrow(RangeError);
  });
});

describe('targetVerdict', () => {
  it('is met only when the whole interval clears the target, not met when all of it is below', () => {
    expect(targetVerdict(ratioInterval([0.9, 0.91, 0.89, 0.9]), 0.8)).toBe('met');
    expect(targetVerdict(ratioInterval([0.7, 0.71, 0.69, 0.7]), 0.8)).toBe('not met');
    expect(targetVerdict(ratioInterval([0.7, 0.95]), 0.8)).toBe('undecided');
    expect(targetVerdict(ratioInterval([0.95]), 0.8)).toBe('undecided');
  });
});
