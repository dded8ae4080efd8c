import type { FrontEndConfig } from '../../src/audio/frontend-config.js';
import { createFrontEnd, type FrontEnd } from '../../src/audio/spectrogram.js';
import { ChromaOnsetFeatures } from './baselines.js';

/** What the evaluation computes from a chunk's samples before the model sees it. */
export interface ChunkFeatures {
  /** Normalised log-mel, mel-major, as the encoder takes it. */
  logMel: Float32Array;
  /** Chroma + onset baseline vector. */
  baseline: Float32Array;
}

/** One chunk's features from one log-mel computation: the baseline reads its onsets from it. */
export class ChunkFeatureExtractor {
  readonly baselineDim: number;
  private readonly logMel: FrontEnd;
  private readonly baseline: ChromaOnsetFeatures;

  constructor(frontEnd: FrontEndConfig) {
    this.logMel = createFrontEnd(frontEnd);
    this.baseline = new ChromaOnsetFeatures(frontEnd);
    this.baselineDim = this.baseline.dim;
  }

  extract(samples: Float32Array): ChunkFeatures {
    const logMel = this.logMel.compute(samples);
    return { logMel: logMel.data, baseline: this.baseline.extract(samples, logMel) };
  }
}
