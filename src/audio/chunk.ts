import { AudioOptionError, SilentAudioError } from './errors.js';
import { chunkSamples, type FrontEndConfig } from './frontend-config.js';
import { meanSquare } from './level.js';

export interface AudioChunk {
  index: number;
  /** Start of the chunk in the input, in seconds. */
  offsetSeconds: number;
  /** Exactly chunkSamples(config) long; zero-filled past `validSamples`. */
  samples: Float32Array;
  validSamples: number;
  padded: boolean;
  /** RMS level of the valid samples in dBFS; -Infinity for digital silence. */
  levelDb: number;
  silent: boolean;
}

export interface ChunkOptions {
  /** Distance between chunk starts; defaults to the chunk length (no overlap). */
  hopSeconds?: number;
  /** Chunks whose RMS is below this (dBFS) are flagged silent. */
  silenceDb?: number;
}

export const DEFAULT_SILENCE_DB = -60;

/**
 * Cuts a mono signal at the model rate into fixed-length chunks starting every hop. The last
 * chunk that reaches the end of the signal is zero-padded and flagged; nothing starts after it.
 * A hop longer than a chunk skips the samples in between.
 * A signal shorter than one chunk (even an empty one) gives a single padded chunk.
 */
export function chunkSignal(
  samples: Float32Array,
  config: FrontEndConfig,
  options?: ChunkOptions,
): AudioChunk[] {
  const length = chunkSamples(config);
  const hop = hopSamples(options?.hopSeconds, config.sampleRate, length);
  const silenceDb = options?.silenceDb ?? DEFAULT_SILENCE_DB;
  const chunks: AudioChunk[] = [];
  for (let start = 0; ; start += hop) {
    const validSamples = Math.min(length, samples.length - start);
    const chunk = new Float32Array(length);
    const valid = samples.subarray(start, start + validSamples);
    chunk.set(valid);
    const levelDb = rmsLevelDb(valid);
    chunks.push({
      index: chunks.length,
      offsetSeconds: start / config.sampleRate,
      samples: chunk,
      validSamples,
      padded: validSamples < length,
      levelDb,
      silent: levelDb < silenceDb,
    });
    // Done when this chunk reached the end, or (hop longer than a chunk) the next would start past it.
    if (start + Math.max(length, hop) >= samples.length) return chunks;
  }
}

function hopSamples(hopSeconds: number | undefined, sampleRate: number, chunkLength: number): number {
  if (hopSeconds === undefined) return chunkLength;
  const hop = Math.round(hopSeconds * sampleRate);
  if (!Number.isFinite(hopSeconds) || hop < 1) {
    throw new AudioOptionError(
      `hopSeconds must be at least one sample (1/${sampleRate} s), got ${hopSeconds}`,
    );
  }
  return hop;
}

/**
 * True when the RMS level is below `thresholdDb` dBFS (RMS relative to 1.0, so a full-scale sine
 * is -3 dBFS). An empty signal is silent.
 */
export function isSilent(samples: Float32Array, thresholdDb = DEFAULT_SILENCE_DB): boolean {
  return rmsLevelDb(samples) < thresholdDb;
}

/** RMS level in dBFS (relative to 1.0); -Infinity for an empty or all-zero signal. */
export function rmsLevelDb(samples: Float32Array): number {
  return 10 * Math.log10(meanSquare(samples));
}

/**
 * Throws `SilentAudioError` (with the loudest chunk's level) when every chunk is silent: such
 * audio would be stored but never found, or searched with and match nothing.
 */
export function assertAudible(
  chunks: ReadonlyArray<{ levelDb: number; silent: boolean }>,
  thresholdDb = DEFAULT_SILENCE_DB,
): void {
  if (chunks.some((chunk) => !chunk.silent)) return;
  const loudest = Math.max(-Infinity, ...chunks.map((chunk) => chunk.levelDb));
  throw new SilentAudioError(loudest, thresholdDb);
}
