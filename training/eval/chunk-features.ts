import { DEFAULT_FRONT_END, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { createFrontEnd, type FrontEnd } from '../../src/audio/spectrogram.js';
import { ChromaOnsetFeatures } from './baselines.js';

/** What the evaluation computes from a chunk's samples before the model sees it. */
export interface ChunkFeatures {
  /** The model's normalised input (log-mel or CQT), bin-major, as the encoder takes it. */
  logMel: Float32Array;
  /** Chroma + onset baseline vector. */
  baseline: Float32Array;
}

/**
 * One chunk's features from one spectrogram computation: for a log-mel model the baseline reads
 * its onsets from the model's log-mel. The baseline is defined on the log-mel, so for a model of
 * another front-end kind (CQT) it gets a log-mel of its own and stays the same baseline.
 */
export class ChunkFeatureExtractor {
  readonly baselineDim: number;
  private readonly logMel: FrontEnd;
  private readonly baselineLogMel: FrontEnd | undefined;
  private readonly baseline: ChromaOnsetFeatures;

  constructor(frontEnd: FrontEndConfig) {
    this.logMel = createFrontEnd(frontEnd);
    const baselineFrontEnd = frontEnd.kind === 'log-mel' ? frontEnd : DEFAULT_FRONT_END;
    this.baselineLogMel = frontEnd.kind === 'log-mel' ? undefined : createFrontEnd(DEFAULT_FRONT_END);
    this.baseline = new ChromaOnsetFeatures(baselineFrontEnd);
    this.baselineDim = this.baseline.dim;
  }

  /** The baseline's vector and its time-resolved rows (`steps` × `baselineDim`), for the product protocol. */
  extractWithTimeline(
    samples: Float32Array,
    steps: number,
  ): { baseline: Float32Array; timeline: Float32Array } {
    const onsetSource = (this.baselineLogMel ?? this.logMel).compute(samples);
    return {
      baseline: this.baseline.extract(samples, onsetSource),
      timeline: this.baseline.timeline(samples, onsetSource, steps),
    };
  }

  extract(samples: Float32Array): ChunkFeatures {
    const logMel = this.logMel.compute(samples);
    const onsetSource = this.baselineLogMel ? this.baselineLogMel.compute(samples) : logMel;
    return { logMel: logMel.data, baseline: this.baseline.extract(samples, onsetSource) };
  }
}
