// Small statistics for the figures: percentiles of latency samples and the steady-state rate of a
// growing count.

/** The p-th percentile (0-100) of the samples, nearest-rank on a sorted copy; NaN when empty. */
function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export function summarize(samples: readonly number[]): Latency {
  const n = samples.length;
  return {
    n,
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    mean: round(n ? samples.reduce((a, b) => a + b, 0) / n : Number.NaN),
    max: round(n ? Math.max(...samples) : Number.NaN),
  };
}

export interface CountSample {
  /** ms since the contender started */
  t: number;
  count: number;
}

export interface SteadyRate {
  /** events/s between the `from` and `to` marks */
  rate: number;
  from: number;
  to: number;
  /** false when the count never reached `to` (time-boxed run): rate over what was reached */
  complete: boolean;
}

/**
 * Events/s between the moments the count crossed `lo`·total and `hi`·total (linear interpolation
 * between samples), so start-up and the tail are left out. When the count never reached the upper
 * mark (a time-boxed contender), the rate from the lower mark, or the first stored document, to the
 * last sample.
 */
export function steadyRate(samples: readonly CountSample[], total: number, lo = 0.05, hi = 0.95): SteadyRate {
  const last = samples[samples.length - 1];
  if (!last || last.count === 0) return { rate: 0, from: 0, to: 0, complete: false };
  const crossing = (x: number) => {
    for (let i = 0; i < samples.length; i++) {
      const b = samples[i] as CountSample;
      if (b.count < x) continue;
      const a = samples[i - 1];
      if (!a || b.count === a.count) return b.t;
      return a.t + ((x - a.count) / (b.count - a.count)) * (b.t - a.t);
    }
    return undefined;
  };
  const from = Math.max(1, lo * total);
  const to = hi * total;
  const tTo = crossing(to);
  if (tTo !== undefined) {
    const tFrom = crossing(from) as number;
    return { rate: round(((to - from) / (tTo - tFrom)) * 1000), from, to, complete: true };
  }
  const start = last.count >= from ? from : 1;
  const tFrom = crossing(start) as number;
  const span = last.t - tFrom;
  const rate = span > 0 ? ((last.count - start) / span) * 1000 : 0;
  return { rate: round(rate), from: start, to: last.count, complete: false };
}

export const round = (x: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
