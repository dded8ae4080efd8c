import type { Registry } from 'prom-client';
import { assertAudible } from '../audio/chunk.js';
import { type Instrument, instrumentId } from '../instruments.js';
import { InferenceError } from './errors.js';
import { type InferenceLogger, SILENT_LOGGER } from './logger.js';
import { createInferenceMetrics } from './metrics.js';
import { MicroBatcher } from './micro-batcher.js';
import { type PatchGrid, poolPatches } from './pooling.js';
import type { ModelSessions } from './sessions.js';

/**
 * Audio bytes → what the catalog stores and what a search asks for.
 *
 * The front end (worker threads) cuts audio into 8 s chunks of features; every chunk then goes through
 * the encoder's micro-batcher, so chunks of concurrent requests share model calls. A catalog stem
 * is encoded as it is; a query mix is encoded and then passed through the predictor conditioned on
 * the instrument wanted, which yields the embeddings that instrument's stem *should* have. Both
 * end in the same pooling (see `pooling.ts`), so a query vector and a stem vector are comparable
 * by cosine.
 */

/** One 8 s chunk's features, as the audio front end (`FrontEndPool`/`AudioProcessor`) returns them. */
export interface ChunkFeaturesLike {
  index: number;
  offsetSeconds: number;
  padded: boolean;
  /** RMS level in dBFS, reported when every chunk is silent. */
  levelDb: number;
  silent: boolean;
  /** bins × frames, bin-major (log-mel or CQT, as the manifest's front end says). */
  spectrogram: { nBins: number; nFrames: number; data: Float32Array };
}

export interface ExtractOptions {
  hopSeconds?: number;
  maxDurationSeconds?: number;
}

/** The front end as the embedder uses it: `FrontEndPool` in the service, `AudioProcessor` in scripts. */
export interface ChunkExtractor {
  extract(bytes: Uint8Array, options?: ExtractOptions): Promise<ChunkFeaturesLike[]>;
}

export interface EmbeddedChunk {
  index: number;
  offsetSeconds: number;
  padded: boolean;
  silent: boolean;
  /** L2-normalised mean of the chunk's patches: the index vector, `dim` values. */
  vector: Float32Array;
  /** Per patch column, L2-normalised: `gridTime × dim`, time-major. */
  timeline: Float32Array;
  /** Raw patch embeddings `numPatches × dim` (frequency-row-major): encoder output for a stem, predictor output for a query. */
  patches: Float32Array;
}

export interface StemEmbedding {
  /** Length of the decoded audio, read off its chunks (see `durationOf`: within 20 ms). */
  durationSeconds: number;
  chunks: EmbeddedChunk[];
}

export interface PooledEmbedding {
  vector: Float32Array;
  timeline: Float32Array;
  patches: Float32Array;
}

export interface EmbedOptions {
  /** Refuse audio longer than this (AudioDecodeError `TOO_LONG`). */
  maxDurationSeconds?: number;
}

export interface BatchingOptions {
  maxBatchSize: number;
  maxQueue: number;
}

export interface EmbedderOptions {
  sessions: ModelSessions;
  frontEnd: ChunkExtractor;
  batching: BatchingOptions;
  /** Step between chunk starts, in seconds (4 = half-overlapping 8 s chunks). */
  hopSeconds: number;
  /** Applies when a call gives no `maxDurationSeconds`. */
  maxDurationSeconds?: number;
  registry?: Registry;
  logger?: InferenceLogger;
}

interface PredictorInput {
  context: Float32Array;
  instrumentId: number;
}

export class Embedder {
  readonly sessions: ModelSessions;
  readonly grid: PatchGrid;
  /** Seconds between timeline columns, for `bestAlignment`. */
  readonly stepSeconds: number;
  private readonly frontEnd: ChunkExtractor;
  private readonly hopSeconds: number;
  private readonly maxDurationSeconds: number | undefined;
  private readonly encoder: MicroBatcher<Float32Array, Float32Array>;
  private readonly predictor: MicroBatcher<PredictorInput, Float32Array>;
  private readonly logger: InferenceLogger;

  constructor(options: EmbedderOptions) {
    const { sessions } = options;
    const { patch, frontEnd } = sessions.manifest;
    this.sessions = sessions;
    this.frontEnd = options.frontEnd;
    this.hopSeconds = options.hopSeconds;
    this.maxDurationSeconds = options.maxDurationSeconds;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.grid = { gridFreq: patch.gridFreq, gridTime: patch.gridTime, dim: sessions.embeddingDim };
    this.stepSeconds = (patch.width * frontEnd.hopLength) / frontEnd.sampleRate;

    const metrics = options.registry ? createInferenceMetrics(options.registry) : null;
    metrics?.setActiveProvider(sessions.activeProvider);
    this.encoder = new MicroBatcher({
      name: 'encoder',
      ...options.batching,
      run: (logMels) => this.runEncoder(logMels),
      hooks: metrics?.hooksFor('encoder'),
    });
    this.predictor = new MicroBatcher({
      name: 'predictor',
      ...options.batching,
      run: (inputs) => this.runPredictor(inputs),
      hooks: metrics?.hooksFor('predictor'),
    });
  }

  get activeProvider(): string {
    return this.sessions.activeProvider;
  }

  /** Queue depths of both model queues, for readiness and load reporting. */
  get queueDepth(): { encoder: number; predictor: number } {
    return { encoder: this.encoder.queueDepth, predictor: this.predictor.queueDepth };
  }

  /**
   * A catalog stem: every chunk encoded and pooled. Audio whose every chunk is silent is refused
   * (`SilentAudioError`): it would be stored but could never be found.
   */
  async embedStem(bytes: Uint8Array, options: EmbedOptions = {}): Promise<StemEmbedding> {
    const features = await this.extract(bytes, options);
    const patches = await this.encoder.submitMany(features.map((chunk) => chunk.spectrogram.data));
    return this.assemble(features, patches);
  }

  /**
   * A mix to find stems for: every chunk encoded, then predicted for `instrument`, then pooled.
   * A silent mix is refused (`SilentAudioError`): silent chunks are never searched, so it would
   * match nothing and the caller could not tell "nothing fits" from "nothing was heard".
   */
  async embedQuery(
    bytes: Uint8Array,
    instrument: Instrument,
    options: EmbedOptions = {},
  ): Promise<StemEmbedding> {
    const features = await this.extract(bytes, options);
    const context = await this.encoder.submitMany(features.map((chunk) => chunk.spectrogram.data));
    const predicted = await this.predictPatches(context, instrument);
    return this.assemble(features, predicted);
  }

  /** Already-encoded chunks (e.g. a stored stem's patches) as the context of a query for `instrument`. */
  async predictFromPatchEmbeddings(
    patches: Float32Array[],
    instrument: Instrument,
  ): Promise<PooledEmbedding[]> {
    const expected = this.sessions.patchEmbeddingSize;
    for (const chunk of patches) {
      if (chunk.length !== expected) {
        throw new InferenceError(`patch embeddings hold ${chunk.length} values, the model uses ${expected}`);
      }
    }
    const predicted = await this.predictPatches(patches, instrument);
    return predicted.map((chunk) => ({ ...poolPatches(chunk, this.grid), patches: chunk }));
  }

  /** Stops taking work, finishes what is queued. The sessions and front end stay open: their owner closes them. */
  async close(): Promise<void> {
    await Promise.all([this.encoder.close(), this.predictor.close()]);
  }

  private async extract(bytes: Uint8Array, options: EmbedOptions): Promise<ChunkFeaturesLike[]> {
    const maxDurationSeconds = options.maxDurationSeconds ?? this.maxDurationSeconds;
    const features = await this.frontEnd.extract(bytes, {
      hopSeconds: this.hopSeconds,
      ...(maxDurationSeconds === undefined ? {} : { maxDurationSeconds }),
    });
    const { frontEnd } = this.sessions.manifest;
    const bins = this.sessions.featureBins;
    for (const { spectrogram } of features) {
      if (spectrogram.nBins !== bins || spectrogram.nFrames !== frontEnd.chunkFrames) {
        throw new InferenceError(
          `front end produced a ${spectrogram.nBins}×${spectrogram.nFrames} spectrogram, the model takes ${bins}×${frontEnd.chunkFrames} (${frontEnd.kind})`,
        );
      }
    }
    assertAudible(features);
    return features;
  }

  private predictPatches(context: Float32Array[], instrument: Instrument): Promise<Float32Array[]> {
    const id = instrumentId(instrument);
    return this.predictor.submitMany(context.map((chunk) => ({ context: chunk, instrumentId: id })));
  }

  private assemble(features: ChunkFeaturesLike[], patches: Float32Array[]): StemEmbedding {
    const chunks = features.map((chunk, i) => ({
      index: chunk.index,
      offsetSeconds: chunk.offsetSeconds,
      padded: chunk.padded,
      silent: chunk.silent,
      ...poolPatches(patches[i]!, this.grid),
      patches: patches[i]!,
    }));
    return { durationSeconds: this.durationOf(features), chunks };
  }

  private async runEncoder(logMels: Float32Array[]): Promise<Float32Array[]> {
    const size = this.sessions.featureSize;
    const input = new Float32Array(logMels.length * size);
    logMels.forEach((chunk, i) => {
      input.set(chunk, i * size);
    });
    const output = await this.sessions.encode(input, logMels.length);
    this.logger.debug({ graph: 'encoder', batch: logMels.length }, 'model batch');
    return split(output, logMels.length, this.sessions.patchEmbeddingSize);
  }

  private async runPredictor(inputs: PredictorInput[]): Promise<Float32Array[]> {
    const size = this.sessions.patchEmbeddingSize;
    const context = new Float32Array(inputs.length * size);
    inputs.forEach((input, i) => {
      context.set(input.context, i * size);
    });
    const output = await this.sessions.predict(
      context,
      inputs.map((input) => input.instrumentId),
      inputs.length,
    );
    this.logger.debug({ graph: 'predictor', batch: inputs.length }, 'model batch');
    return split(output, inputs.length, size);
  }

  /**
   * The front end reports chunks, not the audio length, so the length is read off the chunks: the
   * end of the last full chunk, or for a zero-padded last chunk, the end of its last frame that is
   * not pure padding. A log-mel frame window reaches ~12 ms past its slot, so this can overshoot
   * by up to two 10 ms frames (the CQT's lowest bins, 0.5 s windows, by up to ~0.3 s: measured 30
   * frames); trailing digital silence inside a padded chunk counts as padding.
   */
  private durationOf(features: ChunkFeaturesLike[]): number {
    const { hopLength, sampleRate, chunkFrames, logEpsilon, normMean, normStd } =
      this.sessions.manifest.frontEnd;
    const frameSeconds = hopLength / sampleRate;
    const padValue = (Math.log(logEpsilon) - normMean) / normStd;
    let end = 0;
    for (const chunk of features) {
      const frames = chunk.padded ? framesBeforePadding(chunk.spectrogram, padValue) : chunkFrames;
      end = Math.max(end, chunk.offsetSeconds + frames * frameSeconds);
    }
    return Math.round(end * 1000) / 1000;
  }
}

/** Frames before the trailing run of frames in which every bin holds the value of digital silence. */
function framesBeforePadding(spectrogram: ChunkFeaturesLike['spectrogram'], padValue: number): number {
  const { nBins, nFrames, data } = spectrogram;
  const tolerance = 1e-3 * Math.max(1, Math.abs(padValue));
  let frame = nFrames;
  while (frame > 0) {
    let padding = true;
    for (let bin = 0; bin < nBins && padding; bin++) {
      padding = Math.abs(data[bin * nFrames + frame - 1]! - padValue) <= tolerance;
    }
    if (!padding) break;
    frame--;
  }
  return frame;
}

function split(values: Float32Array, count: number, size: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => values.slice(i * size, (i + 1) * size));
}
