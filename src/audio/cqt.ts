import FFT from 'fft.js';
import { AudioOptionError } from './errors.js';
import {
  type CqtConfig,
  cqtBandwidth,
  type FrontEndConfig,
  FrontEndConfigSchema,
} from './frontend-config.js';
import { Resampler } from './resample.js';
import type { Spectrogram } from './spectrogram.js';

/**
 * Kernel-spectrum coefficients below this fraction of the peak are dropped (Brown & Puckette's
 * sparse kernel). At 5e-3 (-46 dB) every bin keeps its Hann main lobe and first side lobes; what
 * is dropped is leakage far from the bin, so dropping it only lowers far-off crosstalk.
 */
const KERNEL_THRESHOLD = 5e-3;
/**
 * The decimated band holds the bins whose main lobe ends below this fraction of its Nyquist, where
 * its resampler's passband ends; the resampler's transition band and stopband lie above.
 */
const DECIMATED_PASSBAND = 0.8;

/** Bin k: centre frequency and bandwidth; its Hann window is rate / bandwidth samples long (fractional). */
interface BinDesign {
  bin: number;
  centreHz: number;
  bandwidthHz: number;
}

/**
 * One bin's sparse kernel spectrum: DFT indices `start`…`start + count - 1` (the first to the last
 * coefficient above the threshold) with complex weights H[j]·e^{-2πi·j·lead/N}/N, interleaved
 * re, im (H is real: the window is symmetric about its centre).
 */
interface SparseKernel {
  bin: number;
  start: number;
  weights: Float64Array;
}

/**
 * A group of bins computed at one sample rate, a block of frames at a time: one real FFT of
 * `size` samples per block, then per bin the kernel-weighted spectrum folded into `foldSize`
 * slots and one complex FFT of `foldSize` points, whose first outputs are the bin's values at
 * the block's frames (folding the spectrum is subsampling in time). A block of one frame is the
 * classic per-frame Brown–Puckette transform (foldSize 1: a sparse dot product).
 */
interface Band {
  rate: number;
  /** Hop and first frame centre in samples at `rate` (integers by construction). */
  hop: number;
  firstCentre: number;
  size: number;
  /** Position of the block's first frame centre in the FFT buffer. */
  lead: number;
  framesPerBlock: number;
  foldSize: number;
  kernels: SparseKernel[];
  fft: FFT;
  foldFft: FFT | undefined;
  resampler: Resampler | undefined;
  /** Scratch: the block's samples, its spectrum, the folded slots and their transform. */
  buffer: Float64Array;
  spectrum: Float64Array;
  folded: Float64Array;
  foldedOut: Float64Array;
}

/**
 * Constant-Q / variable-Q power spectrogram, laid out like the log-mel: `data[bin * nFrames + frame]`.
 *
 * Bin k sits at f_k = fMin · 2^(k / binsPerOctave) with bandwidth b_k = f_k / Q + gamma,
 * Q = 1 / (2^(1/binsPerOctave) - 1) (one bin per bandwidth: a semitone at 12 bins per octave).
 * Its kernel is a Hann window of L_k = rate / b_k samples (0.51 s at C1 = 32.7 Hz, Q 16.8) modulated to
 * f_k and normalised to unit gain, so a sinusoid of amplitude A at f_k reads (A/2)² in its bin.
 * value = (ln(|x ⋆ kernel|² + logEpsilon) - normMean) / normStd, natural log, as the log-mel.
 *
 * Framing is the log-mel's: n samples give floor(n / hopLength) frames, frame f's kernel is
 * centred on the middle of hop slot f (sample f·hop + floor(hop/2)), samples outside the input
 * count as zeros, so a chunk's features depend on its own samples only.
 *
 * Speed (multirate + sparse kernels): bins whose band fits below 0.8 × the Nyquist of a lower rate
 * whose hop is a power of two (6.4 kHz, hop 64, for 16 kHz / 160) are computed there from one long
 * FFT per chunk; the few top bins at the model rate from one short FFT per frame.
 */
export class ConstantQSpectrogram {
  readonly config: CqtConfig;
  readonly nBins: number;
  private readonly bands: Band[];
  /** |value|² per bin and frame before the log, grown to the longest input seen. */
  private powers = new Float64Array(0);

  constructor(config: FrontEndConfig) {
    this.config = validateConfig(config);
    this.nBins = this.config.nBins;
    this.bands = planBands(this.config);
  }

  frameCount(sampleCount: number): number {
    return Math.floor(sampleCount / this.config.hopLength);
  }

  compute(samples: Float32Array): Spectrogram {
    const nFrames = this.frameCount(samples.length);
    const data = new Float32Array(this.nBins * nFrames);
    this.computeInto(samples, data);
    return { nBins: this.nBins, nFrames, data };
  }

  /**
   * Writes the spectrogram of `samples` into `out` from `offset` (bin-major, nBins × frameCount
   * values) and returns the number of frames written.
   */
  computeInto(samples: Float32Array, out: Float32Array, offset = 0): number {
    const nFrames = this.frameCount(samples.length);
    const values = this.nBins * nFrames;
    if (!Number.isInteger(offset) || offset < 0 || offset + values > out.length) {
      throw new AudioOptionError(
        `computeInto needs ${values} values from offset ${offset}, but the output holds ${out.length}`,
      );
    }
    if (this.powers.length < values) this.powers = new Float64Array(values);
    const powers = this.powers;
    for (const band of this.bands) {
      const signal = band.resampler ? band.resampler.process(samples) : samples;
      if (band.foldFft === undefined) {
        framePowers(band, signal, nFrames, powers);
        continue;
      }
      for (let first = 0; first < nFrames; first += band.framesPerBlock) {
        const frames = Math.min(band.framesPerBlock, nFrames - first);
        transformBlock(band, signal, band.firstCentre + first * band.hop - band.lead);
        for (const kernel of band.kernels) {
          applyKernel(band, band.foldFft, kernel, powers, kernel.bin * nFrames + first, frames);
        }
      }
    }
    const { logEpsilon, normMean, normStd } = this.config;
    const invStd = 1 / normStd;
    for (let i = 0; i < values; i++) out[offset + i] = (Math.log(powers[i] + logEpsilon) - normMean) * invStd;
    return nFrames;
  }
}

/** Real FFT of `band.size` samples of `signal` starting at `start` (zeros outside it). */
function transformBlock(band: Band, signal: Float32Array, start: number): void {
  const { buffer, size } = band;
  const from = Math.max(0, -start);
  const to = Math.min(size, signal.length - start);
  if (from > 0 || to < size) buffer.fill(0);
  for (let t = from; t < to; t++) buffer[t] = signal[start + t];
  band.fft.realTransform(band.spectrum, buffer);
}

/** The per-frame band: one short FFT per frame, then each bin's sparse dot product. */
function framePowers(band: Band, signal: Float32Array, nFrames: number, powers: Float64Array): void {
  const { spectrum, kernels } = band;
  for (let frame = 0; frame < nFrames; frame++) {
    transformBlock(band, signal, band.firstCentre + frame * band.hop - band.lead);
    for (const kernel of kernels) {
      const { weights } = kernel;
      // Two coefficients per step into separate sums: halves the chain of dependent additions,
      // which is what bounds this loop (1.8× faster in a micro-benchmark).
      let re0 = 0;
      let im0 = 0;
      let re1 = 0;
      let im1 = 0;
      let c = 0;
      let at = 2 * kernel.start;
      for (; c + 3 < weights.length; c += 4, at += 4) {
        const x0 = spectrum[at];
        const y0 = spectrum[at + 1];
        const x1 = spectrum[at + 2];
        const y1 = spectrum[at + 3];
        re0 += x0 * weights[c] + y0 * weights[c + 1];
        im0 += x0 * weights[c + 1] - y0 * weights[c];
        re1 += x1 * weights[c + 2] + y1 * weights[c + 3];
        im1 += x1 * weights[c + 3] - y1 * weights[c + 2];
      }
      if (c < weights.length) {
        re0 += spectrum[at] * weights[c] + spectrum[at + 1] * weights[c + 1];
        im0 += spectrum[at] * weights[c + 1] - spectrum[at + 1] * weights[c];
      }
      const re = re0 + re1;
      const im = im0 + im1;
      powers[kernel.bin * nFrames + frame] = re * re + im * im;
    }
  }
}

/**
 * Σ conj(X[j])·V[j] into fold slots, then a forward FFT of the slots, gives the conjugate of the
 * bin's values at the block's frames; |·|² is stored at powers[into..into + frames).
 */
function applyKernel(
  band: Band,
  foldFft: FFT,
  kernel: SparseKernel,
  powers: Float64Array,
  into: number,
  frames: number,
): void {
  const { spectrum, folded, foldedOut } = band;
  const { start, weights } = kernel;
  const mask = 2 * band.foldSize - 1; // foldSize is a power of two: slot j mod M, interleaved
  folded.fill(0);
  for (let c = 0, at = 2 * start; c < weights.length; c += 2, at += 2) {
    const x = spectrum[at];
    const y = spectrum[at + 1];
    const slot = at & mask;
    folded[slot] += x * weights[c] + y * weights[c + 1];
    folded[slot + 1] += x * weights[c + 1] - y * weights[c];
  }
  foldFft.transform(foldedOut, folded);
  for (let i = 0; i < frames; i++) {
    powers[into + i] = foldedOut[2 * i] * foldedOut[2 * i] + foldedOut[2 * i + 1] * foldedOut[2 * i + 1];
  }
}

function validateConfig(config: FrontEndConfig): CqtConfig {
  const parsed = FrontEndConfigSchema.parse(config);
  if (parsed.kind !== 'cqt') {
    throw new AudioOptionError(`ConstantQSpectrogram needs a 'cqt' front-end config, got '${parsed.kind}'`);
  }
  const nyquist = parsed.sampleRate / 2;
  const top = binDesigns(parsed).at(-1) as BinDesign;
  // The top kernel's main lobe (± 2 bandwidths) must stay below Nyquist, or it would see aliases.
  if (top.centreHz + 2 * top.bandwidthHz > nyquist) {
    throw new AudioOptionError(
      `the top CQT bin (${top.centreHz.toFixed(0)} Hz, bandwidth ${top.bandwidthHz.toFixed(0)} Hz) reaches past Nyquist (${nyquist} Hz): lower fMin or nBins`,
    );
  }
  return Object.freeze(parsed);
}

function binDesigns(config: CqtConfig): BinDesign[] {
  return Array.from({ length: config.nBins }, (_, bin) => {
    const centreHz = config.fMin * 2 ** (bin / config.binsPerOctave);
    return { bin, centreHz, bandwidthHz: cqtBandwidth(config, centreHz) };
  });
}

/** Centre frequencies of the bins, in Hz. */
export function cqtFrequencies(config: CqtConfig): number[] {
  return binDesigns(config).map((design) => design.centreHz);
}

/**
 * Splits the bins between a decimated rate (block transform) and the model rate (per frame).
 * The decimated rate is the highest at or below half the model rate at which the hop is a power
 * of two samples and the frame centres fall on samples, so one FFT of a whole chunk can be folded
 * into exactly one value per frame. (12.8 kHz would also qualify for 16 kHz / 160 but measured
 * slower: its resampling and twice-as-long FFT cost more than the per-frame top bins it saves.)
 */
function planBands(config: CqtConfig): Band[] {
  const designs = binDesigns(config);
  const rate = decimatedRate(config);
  const low = rate === undefined ? [] : designs.filter((d) => fitsBelow(d, rate));
  const high = designs.slice(low.length);
  const bands: Band[] = [];
  if (rate !== undefined && low.length > 0) bands.push(blockBand(config, rate, low));
  if (high.length > 0) bands.push(frameBand(config, high));
  return bands;
}

function fitsBelow(design: BinDesign, rate: number): boolean {
  return design.centreHz + 2 * design.bandwidthHz <= (DECIMATED_PASSBAND * rate) / 2;
}

function decimatedRate(config: CqtConfig): number | undefined {
  const { sampleRate, hopLength } = config;
  for (let hop = 2 ** Math.floor(Math.log2(hopLength)); hop >= 2; hop /= 2) {
    const rate = (sampleRate * hop) / hopLength;
    const firstCentre = (Math.floor(hopLength / 2) * hop) / hopLength;
    if (rate <= sampleRate / 2 && Number.isInteger(rate) && Number.isInteger(firstCentre)) return rate;
  }
  return undefined;
}

function blockBand(config: CqtConfig, rate: number, designs: BinDesign[]): Band {
  const hop = (config.hopLength * rate) / config.sampleRate;
  const halfKernel = Math.ceil(rate / designs[0].bandwidthHz / 2);
  const size = nextPowerOfTwo((config.chunkFrames - 1) * hop + 2 * halfKernel + 1);
  const foldSize = size / hop;
  const framesPerBlock = Math.min(foldSize, Math.floor((size - 2 * halfKernel - 1) / hop) + 1);
  const lead = halfKernel;
  return {
    rate,
    hop,
    firstCentre: (Math.floor(config.hopLength / 2) * rate) / config.sampleRate,
    size,
    lead,
    framesPerBlock,
    foldSize,
    kernels: designs.map((d) => sparseKernel(d, rate, size, lead)),
    fft: new FFT(size),
    foldFft: new FFT(foldSize),
    ...scratch(size, foldSize),
    resampler: new Resampler(config.sampleRate, rate, {
      passbandFraction: DECIMATED_PASSBAND,
      stopbandDb: 80,
    }),
  };
}

function frameBand(config: CqtConfig, designs: BinDesign[]): Band {
  const rate = config.sampleRate;
  const size = Math.max(4, nextPowerOfTwo(Math.ceil(rate / designs[0].bandwidthHz) + 1));
  const lead = size / 2;
  return {
    rate,
    hop: config.hopLength,
    firstCentre: Math.floor(config.hopLength / 2),
    size,
    lead,
    framesPerBlock: 1,
    foldSize: 1,
    kernels: designs.map((d) => sparseKernel(d, rate, size, lead)),
    fft: new FFT(size),
    foldFft: undefined,
    ...scratch(size, 1),
    resampler: undefined,
  };
}

/**
 * The DFT (size N) of a Hann window of length L centred on sample 0 (samples |n| < L/2) and
 * modulated to f, in closed form: the window is ½ + ¼e^{2πin/L} + ¼e^{-2πin/L}, and each term's
 * DFT is a Dirichlet kernel. Coefficients at or above KERNEL_THRESHOLD of the peak are kept.
 */
function sparseKernel(design: BinDesign, rate: number, size: number, lead: number): SparseKernel {
  const length = rate / design.bandwidthHz;
  const halfTaps = Math.ceil(length / 2) - 1; // n = -halfTaps..halfTaps satisfy |n| < L/2
  const dirichlet = (phi: number) => {
    const s = Math.sin(phi / 2);
    return Math.abs(s) < 1e-12 ? 2 * halfTaps + 1 : Math.sin((halfTaps + 0.5) * phi) / s;
  };
  const step = (2 * Math.PI) / length;
  const response = (j: number) => {
    const theta = 2 * Math.PI * (design.centreHz / rate - j / size);
    return 0.5 * dirichlet(theta) + 0.25 * dirichlet(theta + step) + 0.25 * dirichlet(theta - step);
  };
  const gain = response((design.centreHz / rate) * size); // Σ w(n): unit gain at f
  const centre = Math.round((design.centreHz / rate) * size);
  const span = Math.ceil((16 * size) / length);
  const inRange = (j: number) => Math.abs(response(j)) >= KERNEL_THRESHOLD * Math.abs(gain);
  let first = Math.max(1, centre - span);
  let last = Math.min(size / 2, centre + span);
  while (first < last && !inRange(first)) first++;
  while (last > first && !inRange(last)) last--;
  const weights = new Float64Array(2 * (last - first + 1));
  for (let j = first; j <= last; j++) {
    const h = response(j) / gain / size;
    const angle = (-2 * Math.PI * ((j * lead) % size)) / size;
    weights[2 * (j - first)] = h * Math.cos(angle);
    weights[2 * (j - first) + 1] = h * Math.sin(angle);
  }
  return { bin: design.bin, start: first, weights };
}

function scratch(size: number, foldSize: number) {
  return {
    buffer: new Float64Array(size),
    spectrum: new Float64Array(2 * size),
    folded: new Float64Array(2 * foldSize),
    foldedOut: new Float64Array(2 * foldSize),
  };
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}
