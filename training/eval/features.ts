import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { isSilent } from '../../src/audio/chunk.js';
import { chunkSamples, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { ChunkFeatureExtractor, type ChunkFeatures } from './chunk-features.js';
import type { ChunkFeaturizer } from './types.js';

export interface FeaturizerOptions {
  /** Worker threads for `prepare`; 0 computes on the calling thread when a chunk is first used. */
  workers?: number;
}

/**
 * The evaluation's view of a chunk: the model's log-mel (the service's front end, with the
 * model's normalisation) and the baseline features read from the same spectrogram. Each chunk is
 * computed once; `prepare` computes a batch in worker threads ahead of use.
 */
export class FrontEndFeaturizer implements ChunkFeaturizer {
  readonly chunkLength: number;
  readonly baselineDim: number;
  private readonly extractor: ChunkFeatureExtractor;
  private readonly cache = new WeakMap<Float32Array, ChunkFeatures>();
  private readonly pool: Piscina | null;

  constructor(frontEnd: FrontEndConfig, options: FeaturizerOptions = {}) {
    this.chunkLength = chunkSamples(frontEnd);
    this.extractor = new ChunkFeatureExtractor(frontEnd);
    this.baselineDim = this.extractor.baselineDim;
    const workers = options.workers ?? 0;
    this.pool =
      workers > 0
        ? new Piscina({
            ...workerEntry(),
            workerData: { frontEnd },
            minThreads: workers,
            maxThreads: workers,
          })
        : null;
  }

  async prepare(chunks: readonly Float32Array[]): Promise<void> {
    const missing = chunks.filter((samples) => !this.cache.has(samples));
    if (!this.pool || missing.length === 0) return;
    for (const samples of missing) this.checkLength(samples);
    // Copies: a chunk may be a view into a whole stem, which must not be cloned with it.
    const features: ChunkFeatures[] = await this.pool.run(missing.map((samples) => samples.slice()));
    for (const [i, samples] of missing.entries()) this.cache.set(samples, features[i]);
  }

  modelInput(samples: Float32Array): Float32Array {
    return this.features(samples).logMel;
  }

  baselineFeatures(samples: Float32Array): Float32Array {
    return this.features(samples).baseline;
  }

  isSilent(samples: Float32Array): boolean {
    return isSilent(samples);
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }

  private features(samples: Float32Array): ChunkFeatures {
    let features = this.cache.get(samples);
    if (!features) {
      this.checkLength(samples);
      features = this.extractor.extract(samples);
      this.cache.set(samples, features);
    }
    return features;
  }

  private checkLength(samples: Float32Array): void {
    if (samples.length !== this.chunkLength) {
      throw new RangeError(`chunk has ${samples.length} samples, expected ${this.chunkLength}`);
    }
  }
}

/** The compiled worker next to this module under dist/, else the TypeScript source through tsx. */
function workerEntry(): { filename: string; execArgv: string[] } {
  const compiled = fileURLToPath(new URL('./features-worker.js', import.meta.url));
  if (existsSync(compiled)) return { filename: compiled, execArgv: [] };
  const source = fileURLToPath(new URL('./features-worker.ts', import.meta.url));
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { filename: source, execArgv: ['--import', tsxLoader] };
}
