import FFT from 'fft.js';
import { AudioOptionError } from './errors.js';
import { type FrontEndConfig, FrontEndConfigSchema, type LogMelConfig } from './frontend-config.js';
import { buildMelFilterbank, type MelFilter } from './mel-filterbank.js';
import type { Spectrogram } from './spectrogram.js';

/** A log-mel spectrogram in mel-major layout: `data[mel * nFrames + frame]`; nMels = nBins. */
export interface LogMel extends Spectrogram {
  nMels: number;
}

/**
 * The model's front end: log-mel power spectrogram.
 *
 * Framing: n samples give floor(n / hopLength) frames (8 s at 16 kHz → exactly 800). Frame f
 * covers hop slot [f·hop, (f+1)·hop) and its window is centred on the middle of that slot
 * (window start f·hop + hop/2 - winLength/2); samples outside the input count as zeros, so a
 * chunk's features depend on its own samples only.
 *
 * Per frame: periodic Hann window of winLength samples, zero-padded to nFft; power |X|² of the
 * real FFT; HTK-mel triangular filterbank (see mel-filterbank.ts); then
 * value = (ln(melPower + logEpsilon) - normMean) / normStd, natural log.
 */
export class LogMelSpectrogram {
  readonly config: LogMelConfig;
  readonly nBins: number;
  private readonly window: Float64Array;
  private readonly filters: MelFilter[];
  private readonly fft: FFT;
  private readonly frame: Float64Array;
  private readonly spectrum: Float64Array;
  private readonly power: Float64Array;

  constructor(config: FrontEndConfig) {
    this.config = validateConfig(config);
    this.nBins = this.config.nMels;
    const { nFft, winLength } = this.config;
    this.window = periodicHann(winLength);
    this.filters = buildMelFilterbank(this.config);
    this.fft = new FFT(nFft);
    this.frame = new Float64Array(nFft);
    this.spectrum = new Float64Array(2 * nFft);
    this.power = new Float64Array(nFft / 2 + 1);
  }

  frameCount(sampleCount: number): number {
    return Math.floor(sampleCount / this.config.hopLength);
  }

  compute(samples: Float32Array): LogMel {
    const nFrames = this.frameCount(samples.length);
    const data = new Float32Array(this.config.nMels * nFrames);
    this.computeInto(samples, data);
    return { nMels: this.config.nMels, nBins: this.config.nMels, nFrames, data };
  }

  /**
   * Writes the spectrogram of `samples` into `out` starting at `offset` (mel-major, nMels ×
   * frameCount(samples.length) values) without allocating, for filling training batches.
   * Returns the number of frames written.
   */
  computeInto(samples: Float32Array, out: Float32Array, offset = 0): number {
    const { nMels, hopLength, winLength, logEpsilon, normMean, normStd } = this.config;
    const nFrames = this.frameCount(samples.length);
    if (!Number.isInteger(offset) || offset < 0 || offset + nMels * nFrames > out.length) {
      throw new AudioOptionError(
        `computeInto needs ${nMels * nFrames} values from offset ${offset}, but the output holds ${out.length}`,
      );
    }
    const invStd = 1 / normStd;
    const windowShift = Math.floor(hopLength / 2) - Math.floor(winLength / 2);
    for (let f = 0; f < nFrames; f++) {
      this.powerSpectrum(samples, f * hopLength + windowShift);
      const at = offset + f;
      for (let m = 0; m < nMels; m++) {
        const { startBin, weights } = this.filters[m];
        let energy = 0;
        for (let k = 0; k < weights.length; k++) energy += weights[k] * this.power[startBin + k];
        out[at + m * nFrames] = (Math.log(energy + logEpsilon) - normMean) * invStd;
      }
    }
    return nFrames;
  }

  /** Fills `this.power` with |FFT|² of the windowed frame whose window starts at `start`. */
  private powerSpectrum(samples: Float32Array, start: number): void {
    const { frame, window, spectrum, power } = this;
    const winLength = window.length;
    if (start >= 0 && start + winLength <= samples.length) {
      for (let i = 0; i < winLength; i++) frame[i] = samples[start + i] * window[i];
    } else {
      for (let i = 0; i < winLength; i++) {
        const at = start + i;
        frame[i] = at >= 0 && at < samples.length ? samples[at] * window[i] : 0;
      }
    }
    // frame[winLength..nFft) stays zero: it is never written.
    this.fft.realTransform(spectrum, frame);
    for (let k = 0; k < power.length; k++) {
      const re = spectrum[2 * k];
      const im = spectrum[2 * k + 1];
      power[k] = re * re + im * im;
    }
  }
}

function validateConfig(config: FrontEndConfig): LogMelConfig {
  const parsed = FrontEndConfigSchema.parse(config);
  if (parsed.kind !== 'log-mel') {
    throw new AudioOptionError(`LogMelSpectrogram needs a 'log-mel' front-end config, got '${parsed.kind}'`);
  }
  const { nFft, winLength, sampleRate, fMin, fMax } = parsed;
  if ((nFft & (nFft - 1)) !== 0 || nFft < 4)
    throw new AudioOptionError(`nFft must be a power of two ≥ 4, got ${nFft}`);
  if (winLength > nFft) throw new AudioOptionError(`winLength ${winLength} exceeds nFft ${nFft}`);
  if (fMax > sampleRate / 2)
    throw new AudioOptionError(`fMax ${fMax} Hz is above Nyquist (${sampleRate / 2} Hz)`);
  if (fMin >= fMax) throw new AudioOptionError(`fMin ${fMin} Hz must be below fMax ${fMax} Hz`);
  return Object.freeze(parsed);
}

/** Periodic (not symmetric) Hann, as torch.hann_window's default: w[i] = 0.5 - 0.5·cos(2πi/N). */
function periodicHann(length: number): Float64Array {
  const window = new Float64Array(length);
  for (let i = 0; i < length; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
  return window;
}
