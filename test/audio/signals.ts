import { seededRandom } from '../../src/random.js';
/** Deterministic test signals and a single-frequency amplitude probe. */

export function sine(frequency: number, sampleRate: number, length: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return out;
}

/** Linear sweep from f0 to f1 Hz over the whole length. */
export function sweep(
  f0: number,
  f1: number,
  sampleRate: number,
  length: number,
  amplitude = 0.5,
): Float32Array {
  const out = new Float32Array(length);
  const duration = length / sampleRate;
  for (let i = 0; i < length; i++) {
    const t = i / sampleRate;
    out[i] = amplitude * Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * duration)));
  }
  return out;
}

export function noise(length: number, seed: number, amplitude = 0.5): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => amplitude * (2 * random() - 1));
}

/**
 * Amplitude of the `frequency` component over the middle half of the signal (Hann-weighted
 * single-bin DFT), so edge effects of filters do not count.
 */
export function amplitudeAt(signal: Float32Array, frequency: number, sampleRate: number): number {
  const start = Math.floor(signal.length / 4);
  const end = Math.floor((3 * signal.length) / 4);
  let re = 0;
  let im = 0;
  let weight = 0;
  for (let i = start; i < end; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i - start)) / (end - start));
    const phase = (2 * Math.PI * frequency * i) / sampleRate;
    re += hann * signal[i] * Math.cos(phase);
    im += hann * signal[i] * Math.sin(phase);
    weight += hann;
  }
  return (2 * Math.hypot(re, im)) / weight;
}

export function rms(signal: Float32Array, start = 0, end = signal.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += signal[i] * signal[i];
  return Math.sqrt(sum / Math.max(1, end - start));
}

export function decibels(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** The lag (within ±maxLag) at which `candidate` best matches `reference` (cross-correlation peak). */
export function bestLag(reference: Float32Array, candidate: Float32Array, maxLag: number): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  const length = Math.min(reference.length, candidate.length);
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let score = 0;
    for (let i = maxLag; i < length - maxLag; i++) score += reference[i] * candidate[i + lag];
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return best;
}

/** Signal-to-error ratio in dB of `candidate` (shifted by `lag`) against `reference`, over [start, end). */
export function snrDb(
  reference: Float32Array,
  candidate: Float32Array,
  lag: number,
  start: number,
  end: number,
): number {
  let signal = 0;
  let error = 0;
  for (let i = start; i < end; i++) {
    signal += reference[i] ** 2;
    error += (reference[i] - candidate[i + lag]) ** 2;
  }
  return 10 * Math.log10(signal / error);
}

export { seededRandom };
