import { ConstantQSpectrogram } from './cqt.js';
import type { FrontEndConfig } from './frontend-config.js';
import { LogMelSpectrogram } from './log-mel.js';

/**
 * A chunk's model input: `nBins` rows (mel bands or CQT bins, low to high) of `nFrames` frames,
 * bin-major (`data[bin * nFrames + frame]`), i.e. the encoder's `[B, 1, nBins, frames]`.
 */
export interface Spectrogram {
  nBins: number;
  nFrames: number;
  data: Float32Array;
}

/** What every front-end kind computes; one instance per config, reused across calls. */
export interface FrontEnd {
  readonly config: FrontEndConfig;
  readonly nBins: number;
  /** Frames for `sampleCount` samples: floor(sampleCount / hopLength) for every kind. */
  frameCount(sampleCount: number): number;
  compute(samples: Float32Array): Spectrogram;
  /** Writes bins × frameCount values into `out` from `offset`; returns the frame count. */
  computeInto(samples: Float32Array, out: Float32Array, offset?: number): number;
}

/** The transform a config describes (validated: invalid combinations throw AudioOptionError). */
export function createFrontEnd(config: FrontEndConfig): FrontEnd {
  return config.kind === 'cqt' ? new ConstantQSpectrogram(config) : new LogMelSpectrogram(config);
}
