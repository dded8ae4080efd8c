/** Formats seconds as `1h02m` / `3m07s` for progress lines. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const minutes = Math.floor(seconds / 60);
  if (minutes >= 60) return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/**
 * Examples per second over a sliding window of recent steps: the first steps of a run (JIT, caches)
 * and pauses for validation would otherwise distort the ETA for a long time.
 */
export class ThroughputMeter {
  private readonly samples: Array<{ at: number; examples: number }> = [];

  constructor(private readonly window = 50) {}

  record(examples: number, at = performance.now()): void {
    this.samples.push({ at, examples });
    if (this.samples.length > this.window) this.samples.shift();
  }

  examplesPerSecond(): number {
    if (this.samples.length < 2) return Number.NaN;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const examples = this.samples.slice(1).reduce((total, sample) => total + sample.examples, 0);
    return (examples * 1000) / (last.at - first.at);
  }

  /** Resets the window, e.g. after a validation pause. */
  reset(): void {
    this.samples.length = 0;
  }
}
