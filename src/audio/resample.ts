import { SimdPolyphase } from './simd-polyphase.js';

/**
 * Band-limited sample-rate conversion: a Kaiser-windowed sinc low-pass evaluated polyphase, i.e.
 * one precomputed set of taps per output phase, so each output sample is one dot product.
 *
 * The cutoff sits below the lower of the two Nyquist frequencies: the passband ends at
 * `passbandFraction` of it, the stopband (attenuated by `stopbandDb`) starts exactly at it, so
 * nothing that would alias into the output survives. Defaults: passband to 0.9 × Nyquist (7.2 kHz
 * for a 16 kHz output), 80 dB stopband.
 */
export interface ResamplerDesign {
  passbandFraction: number;
  stopbandDb: number;
}

export const DEFAULT_RESAMPLER_DESIGN: ResamplerDesign = Object.freeze({
  passbandFraction: 0.9,
  stopbandDb: 80,
});

/**
 * 'wasm-simd' runs exact polyphase tables through a WebAssembly SIMD kernel; 'js' is the scalar
 * loop, used for interpolated tables and where WebAssembly SIMD is missing.
 */
export type ResamplerEngine = 'wasm-simd' | 'js';

/**
 * Above this many phases (rates without a small common divisor, e.g. 44 101 → 16 000 Hz) the
 * taps are instead interpolated linearly between this many precomputed phases: the kernel is
 * smooth at that spacing, so the interpolation error stays far below the stopband (tested) while
 * the table stays small.
 */
const MAX_EXACT_PHASES = 2048;
const INTERPOLATED_PHASES = 512;
/** Tap tables kept for reuse; bounded because the rate pairs come from untrusted file headers. */
const CACHED_RESAMPLERS = 8;

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Taps on each side of the output position, in input samples. */
  readonly halfWidth: number;
  readonly engine: ResamplerEngine;
  private readonly up: number;
  private readonly down: number;
  private readonly phases: number;
  private readonly exact: boolean;
  /** `phases` (+1 when interpolating) rows of 2·halfWidth taps. */
  private readonly taps: Float32Array;
  private readonly simd: SimdPolyphase | undefined;

  /** `options.engine: 'js'` forces the scalar loop (the reference the SIMD kernel is tested against). */
  constructor(
    fromRate: number,
    toRate: number,
    design: ResamplerDesign = DEFAULT_RESAMPLER_DESIGN,
    options: { engine?: ResamplerEngine } = {},
  ) {
    validateRates(fromRate, toRate);
    this.fromRate = fromRate;
    this.toRate = toRate;
    const divisor = gcd(fromRate, toRate);
    this.up = toRate / divisor;
    this.down = fromRate / divisor;
    this.exact = this.up <= MAX_EXACT_PHASES;
    this.phases = this.exact ? this.up : INTERPOLATED_PHASES;

    const nyquist = Math.min(fromRate, toRate) / 2;
    const transitionHz = nyquist * (1 - design.passbandFraction);
    const cutoff = nyquist - transitionHz / 2; // Kaiser designs put the -6 dB point mid-transition.
    const beta = kaiserBeta(design.stopbandDb);
    // Kaiser's length estimate N = (A - 7.95) / (2.285 Δω), Δω in radians per input sample.
    const length = (design.stopbandDb - 7.95) / (2.285 * ((2 * Math.PI * transitionHz) / fromRate));
    this.halfWidth = Math.max(2, Math.ceil(length / 2));
    this.taps = buildPhaseTable(
      this.phases + (this.exact ? 0 : 1),
      this.phases,
      this.halfWidth,
      cutoff / fromRate,
      beta,
    );
    const wantSimd = this.exact && options.engine !== 'js';
    const width = 2 * this.halfWidth;
    this.simd = wantSimd
      ? SimdPolyphase.create(this.taps, width, this.up, this.down, this.halfWidth)
      : undefined;
    this.engine = this.simd ? 'wasm-simd' : 'js';
  }

  /** Output length for `inputLength` samples: ceil(n · toRate / fromRate). */
  outputLength(inputLength: number): number {
    return Math.ceil((inputLength * this.up) / this.down);
  }

  process(signal: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return signal;
    const output = new Float32Array(this.outputLength(signal.length));
    if (this.simd) this.simd.process(signal, output);
    else if (this.exact) this.processExact(signal, output);
    else this.processInterpolated(signal, output);
    return output;
  }

  private processExact(signal: Float32Array, output: Float32Array): void {
    const { up, down, taps, halfWidth } = this;
    const width = 2 * halfWidth;
    const length = signal.length;
    // Output n sits at input position n·down/up = index + phase/up; tracked in integers.
    let index = 0;
    let phase = 0;
    for (let n = 0; n < output.length; n++) {
      const first = index - halfWidth + 1;
      const row = phase * width;
      let sum = 0;
      if (first >= 0 && first + width <= length) {
        sum = dot(signal, first, taps, row, width);
      } else {
        const from = Math.max(0, -first);
        const to = Math.min(width, length - first);
        for (let j = from; j < to; j++) sum += signal[first + j] * taps[row + j];
      }
      output[n] = sum;
      phase += down;
      while (phase >= up) {
        phase -= up;
        index++;
      }
    }
  }

  private processInterpolated(signal: Float32Array, output: Float32Array): void {
    const { taps, halfWidth, phases } = this;
    const width = 2 * halfWidth;
    const length = signal.length;
    const step = this.fromRate / this.toRate;
    for (let n = 0; n < output.length; n++) {
      const position = n * step;
      const index = Math.floor(position);
      const scaled = (position - index) * phases;
      const phase = Math.min(phases - 1, Math.floor(scaled));
      const blend = scaled - phase;
      const rowA = phase * width;
      const rowB = rowA + width;
      const first = index - halfWidth + 1;
      const from = Math.max(0, -first);
      const to = Math.min(width, length - first);
      let sum = 0;
      for (let j = from; j < to; j++) {
        const tap = taps[rowA + j] + blend * (taps[rowB + j] - taps[rowA + j]);
        sum += signal[first + j] * tap;
      }
      output[n] = sum;
    }
  }
}

/**
 * Σ a[aAt + j] · b[bAt + j] for j < width (width even, as 2·halfWidth always is). Four
 * independent partial sums let the CPU overlap the multiply-adds; this loop is the resampler's
 * whole cost.
 */
function dot(a: Float32Array, aAt: number, b: Float32Array, bAt: number, width: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < width; j += 4) {
    s0 += a[aAt + j] * b[bAt + j];
    s1 += a[aAt + j + 1] * b[bAt + j + 1];
    s2 += a[aAt + j + 2] * b[bAt + j + 2];
    s3 += a[aAt + j + 3] * b[bAt + j + 3];
  }
  for (; j < width; j++) s0 += a[aAt + j] * b[bAt + j];
  return s0 + s1 + s2 + s3;
}

const resamplers = new Map<string, Resampler>();

/**
 * Converts `signal` from `fromRate` to `toRate` (Hz, positive integers). Returns the input itself
 * when the rates are equal. Resamplers (their tap tables) are cached for the most recent rate pairs.
 */
export function resample(signal: Float32Array, fromRate: number, toRate: number): Float32Array {
  validateRates(fromRate, toRate);
  if (fromRate === toRate) return signal;
  const key = `${fromRate}:${toRate}`;
  let resampler = resamplers.get(key);
  if (resampler) {
    resamplers.delete(key); // re-inserted below as the most recently used
  } else {
    resampler = new Resampler(fromRate, toRate);
    if (resamplers.size >= CACHED_RESAMPLERS) resamplers.delete(resamplers.keys().next().value as string);
  }
  resamplers.set(key, resampler);
  return resampler.process(signal);
}

function validateRates(fromRate: number, toRate: number): void {
  for (const rate of [fromRate, toRate]) {
    if (!Number.isInteger(rate) || rate <= 0) {
      throw new RangeError(`sample rates must be positive integers, got ${fromRate} → ${toRate}`);
    }
  }
}

/**
 * Row p holds the taps for fractional position p/phases: tap j multiplies input sample
 * index - halfWidth + 1 + j, at distance τ = p/phases + halfWidth - 1 - j from the output. Each
 * row is normalised to unit sum so DC passes exactly whatever the phase.
 */
function buildPhaseTable(
  rows: number,
  phases: number,
  halfWidth: number,
  cutoff: number,
  beta: number,
): Float32Array {
  const width = 2 * halfWidth;
  const table = new Float32Array(rows * width);
  const i0Beta = besselI0(beta);
  for (let p = 0; p < rows; p++) {
    let sum = 0;
    const row = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      const tau = p / phases + halfWidth - 1 - j;
      const x = tau / halfWidth;
      const window = Math.abs(x) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - x * x)) / i0Beta;
      row[j] = 2 * cutoff * sinc(2 * cutoff * tau) * window;
      sum += row[j];
    }
    for (let j = 0; j < width; j++) table[p * width + j] = row[j] / sum;
  }
  return table;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Kaiser's empirical β for a stopband attenuation in dB. */
function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for β < 50). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < 200; k++) {
    term *= (half / k) ** 2;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
