import type { FrontEndConfig } from '../../src/audio/frontend-config.js';
import { LogMelSpectrogram } from '../../src/audio/log-mel.js';
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
  private readonly logMel: LogMelSpectrogram;
  private readonly baseline: ChromaOnsetFeatures;

  constructor(frontEnd: FrontEndConfig) {
    this.logMel = new LogMelSpectrogram(frontEnd);
    this.baseline = new ChromaOnsetFeatures(frontEnd);
    this.baselineDim = this.baseline.dim;
  }

  /** The baseline's vector and its time-resolved rows (`steps` × `baselineDim`), for the product protocol. */
  extractWithTimeline(
    samples: Float32Array,
    steps: number,
  ): { baseline: Float32Array; timeline: Float32Array } {
    const logMel = this.logMel.compute(samples);
    return {
      baseline: this.baseline.extract(samples, logMel),
      timeline: this.baseline.timeline(samples, logMel, steps),
    };
  }

  extract(samples: Float32Array): ChunkFeatures {
    const logMel = this.logMel.compute(samples);
    return { logMel: logMel.data, baseline: this.baseline.extract(samples, logMel) };
  }
}
