import { isSilent } from '../../src/audio/chunk.js';
import { chunkSamples, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { type LogMel, LogMelSpectrogram } from '../../src/audio/log-mel.js';
import { ChromaOnsetFeatures } from './baselines.js';
import type { ChunkFeaturizer } from './types.js';

/**
 * The evaluation's view of a chunk: the model's log-mel (the service's front end, with the
 * model's normalisation) and the baseline's features read from the same spectrogram, which is
 * computed once per chunk.
 */
export class FrontEndFeaturizer implements ChunkFeaturizer {
  readonly chunkLength: number;
  readonly baselineDim: number;
  private readonly logMel: LogMelSpectrogram;
  private readonly baseline: ChromaOnsetFeatures;
  private readonly cache = new WeakMap<Float32Array, LogMel>();

  constructor(frontEnd: FrontEndConfig) {
    this.chunkLength = chunkSamples(frontEnd);
    this.logMel = new LogMelSpectrogram(frontEnd);
    this.baseline = new ChromaOnsetFeatures(frontEnd);
    this.baselineDim = this.baseline.dim;
  }

  modelInput(samples: Float32Array): Float32Array {
    return this.spectrogram(samples).data;
  }

  baselineFeatures(samples: Float32Array): Float32Array {
    return this.baseline.extract(samples, this.spectrogram(samples));
  }

  isSilent(samples: Float32Array): boolean {
    return isSilent(samples);
  }

  private spectrogram(samples: Float32Array): LogMel {
    let logMel = this.cache.get(samples);
    if (!logMel) {
      if (samples.length !== this.chunkLength) {
        throw new RangeError(`chunk has ${samples.length} samples, expected ${this.chunkLength}`);
      }
      logMel = this.logMel.compute(samples);
      this.cache.set(samples, logMel);
    }
    return logMel;
  }
}
