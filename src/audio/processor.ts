import { chunkSignal } from './chunk.js';
import { decodeAudio } from './decode.js';
import type { DecodeOptions } from './decoded-audio.js';
import { DEFAULT_FRONT_END, type FrontEndConfig } from './frontend-config.js';
import { downmixToMono } from './mono.js';
import { resample } from './resample.js';
import { createFrontEnd, type FrontEnd, type Spectrogram } from './spectrogram.js';

/** The model input for one chunk of a file, with where the chunk sits in it. */
export interface ChunkFeatures {
  index: number;
  offsetSeconds: number;
  padded: boolean;
  /** RMS level of the chunk's audio in dBFS (-Infinity for digital silence). */
  levelDb: number;
  silent: boolean;
  /** The chunk's features: log-mel or CQT, as the config's `kind` says. */
  spectrogram: Spectrogram;
}

export interface ExtractOptions {
  /** Distance between chunk starts; defaults to the chunk length (no overlap). */
  hopSeconds?: number;
  /** Chunks below this RMS level (dBFS) are flagged silent. */
  silenceDb?: number;
}

export type ExtractFromBytesOptions = ExtractOptions & DecodeOptions;

/**
 * Bytes → model features: decode, downmix, resample to the model rate, cut into chunks and take
 * each chunk's spectrogram (log-mel or CQT, as the config's kind says). Owns its FrontEndConfig,
 * so one processor always produces features for one model's front end. Runs on the calling
 * thread; FrontEndPool runs the same in workers.
 */
export class AudioProcessor {
  readonly config: FrontEndConfig;
  private readonly frontEnd: FrontEnd;

  constructor(config: FrontEndConfig = DEFAULT_FRONT_END) {
    this.frontEnd = createFrontEnd(config);
    this.config = this.frontEnd.config;
  }

  /** Decodes any supported format to mono float samples at `config.sampleRate`. */
  async loadMono(bytes: Uint8Array, options?: DecodeOptions): Promise<Float32Array> {
    const decoded = await decodeAudio(bytes, options);
    return resample(downmixToMono(decoded.channels), decoded.sampleRate, this.config.sampleRate);
  }

  async extract(bytes: Uint8Array, options?: ExtractFromBytesOptions): Promise<ChunkFeatures[]> {
    const mono = await this.loadMono(bytes, { maxDurationSeconds: options?.maxDurationSeconds });
    return this.extractFromSamples(mono, options);
  }

  /** For callers that already hold mono samples at `config.sampleRate`. */
  extractFromSamples(monoAtModelRate: Float32Array, options?: ExtractOptions): ChunkFeatures[] {
    return chunkSignal(monoAtModelRate, this.config, options).map((chunk) => ({
      index: chunk.index,
      offsetSeconds: chunk.offsetSeconds,
      padded: chunk.padded,
      levelDb: chunk.levelDb,
      silent: chunk.silent,
      spectrogram: this.frontEnd.compute(chunk.samples),
    }));
  }
}
