import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrontEndConfig } from '../../src/audio/frontend-config.js';
import { createFrontEnd } from '../../src/audio/spectrogram.js';
import type { Instrument } from '../../src/instruments.js';

/**
 * The per-stem feature cache: what the model's front end computes from each stem, stored once,
 * so a training example is formed by reading and adding instead of decoding and transforming.
 *
 * A cacheable front end computes ln(E + ε) per bin and frame, where E is an energy (power
 * spectrum through a filterbank) that is additive over uncorrelated sources. A mix of stems with
 * gains g_i is then approximated by ln(Σ g_i² E_i + ε): exact up to the cross terms between the
 * stems' spectra (phase), which `npm run bench:sampler` measures against the exact mix.
 *
 * Storage: per song one file `<corpus>/features/<frontEndKey>/<songId>.feat`: a JSON header
 * (stems with name, instrument, mix gain, frame count) and per stem the features as 8-bit codes
 * of ln(E + ε) in steps of 0.1 nats from ln ε (mel-major: bin × frame), plus the mean square of
 * each hop of audio (float32, for the sampler's "is this stem sounding in the crop" test).
 * 8 bits keep the quantisation error within ±0.05 nats (±0.22 dB) at half the size of float16.
 */

/** A front end the cache can hold: ln(energy + logEpsilon) features, energy additive over sources. */
export interface CacheableFrontEnd {
  /** Identifies the features: the kind plus every feature-defining field (no normalisation). */
  readonly key: string;
  readonly config: FrontEndConfig;
  readonly bins: number;
  readonly hopLength: number;
  readonly logEpsilon: number;
  frameCount(samples: number): number;
  /** Un-normalised ln(E + ε), bin-major (bins × frameCount), at `offset` of `out`. */
  computeInto(samples: Float32Array, out: Float32Array, offset?: number): number;
}

export class FeatureCacheError extends Error {
  readonly code: 'CACHE_MISSING' | 'CACHE_INVALID';
  constructor(code: FeatureCacheError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Not hashed: normalisation belongs to a model, and the kind is the key's prefix (a config
 * without `kind` is log-mel, so `{kind: 'log-mel', ...}` and the same fields share one key). */
const NOT_HASHED = new Set(['normMean', 'normStd', 'kind']);

/** Short stable hash of the feature-defining part of a front-end config (any kind). */
export function frontEndKey(config: FrontEndConfig): string {
  const kind = (config as { kind?: string }).kind ?? 'log-mel';
  const fields = Object.keys(config)
    .filter((key) => !NOT_HASHED.has(key))
    .sort()
    .map((key) => [key, (config as Record<string, unknown>)[key]]);
  const hash = createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 12);
  return `${kind}-${hash}`;
}

/**
 * The cacheable front end of a config. Every kind qualifies: the log-mel and the CQT both compute
 * ln(power + logEpsilon), a power through a filterbank (mel bands or constant-Q kernels).
 */
export function cacheableFrontEnd(config: FrontEndConfig): CacheableFrontEnd {
  const frontEnd = createFrontEnd({ ...config, normMean: 0, normStd: 1 });
  return {
    key: frontEndKey(config),
    config,
    bins: frontEnd.nBins,
    hopLength: config.hopLength,
    logEpsilon: config.logEpsilon,
    frameCount: (samples) => frontEnd.frameCount(samples),
    computeInto: (samples, out, offset = 0) => frontEnd.computeInto(samples, out, offset),
  };
}

/** Quantisation of ln(E + ε): code q stands for ln ε + q · STEP. */
export const CODE_STEP = 0.1;
const MAGIC = 0x46584453; // "SDXF"
const CACHE_FORMAT = 1;

export interface CachedStemHeader {
  name: string;
  instrument: Instrument;
  instrumentId: number;
  /** The stem's linear gain in the song's mix. */
  gain: number;
  frames: number;
}

export interface CachedStem extends CachedStemHeader {
  /** bins × frames codes, bin-major. */
  codes: Uint8Array;
  /** Mean square of each hop of the stem's audio. */
  hopEnergy: Float32Array;
}

export interface CachedSong {
  songId: string;
  bins: number;
  stems: CachedStem[];
}

export function featureDir(corpusDir: string, frontEnd: CacheableFrontEnd): string {
  return join(corpusDir, 'features', frontEnd.key);
}

export function featurePath(corpusDir: string, frontEnd: CacheableFrontEnd, songId: string): string {
  return join(featureDir(corpusDir, frontEnd), `${songId}.feat`);
}

export function hasCachedFeatures(corpusDir: string, frontEnd: CacheableFrontEnd, songId: string): boolean {
  return existsSync(featurePath(corpusDir, frontEnd, songId));
}

/** Features of one stem as codes, and its hop energies. */
export function encodeStem(
  frontEnd: CacheableFrontEnd,
  samples: Float32Array,
): { codes: Uint8Array; hopEnergy: Float32Array } {
  const frames = frontEnd.frameCount(samples.length);
  const values = new Float32Array(frontEnd.bins * frames);
  frontEnd.computeInto(samples, values, 0);
  const floor = Math.log(frontEnd.logEpsilon);
  const codes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    codes[i] = Math.max(0, Math.min(255, Math.round((values[i] - floor) / CODE_STEP)));
  }
  const hop = frontEnd.hopLength;
  const hopEnergy = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let i = f * hop; i < (f + 1) * hop; i++) sum += samples[i] * samples[i];
    hopEnergy[f] = sum / hop;
  }
  return { codes, hopEnergy };
}

/** Computes and writes a song's cache file (atomically: temp file, then rename). */
export function writeSongFeatures(
  corpusDir: string,
  frontEnd: CacheableFrontEnd,
  songId: string,
  stems: readonly { header: Omit<CachedStemHeader, 'frames'>; samples: Float32Array }[],
): void {
  const encoded = stems.map(({ header, samples }) => ({ header, ...encodeStem(frontEnd, samples) }));
  const headers: CachedStemHeader[] = encoded.map(({ header, hopEnergy }) => ({
    ...header,
    frames: hopEnergy.length,
  }));
  const json = Buffer.from(JSON.stringify({ songId, bins: frontEnd.bins, step: CODE_STEP, stems: headers }));
  const headerBytes = 16 + json.length;
  const dataStart = Math.ceil(headerBytes / 4) * 4;
  let size = dataStart;
  for (const { codes, hopEnergy } of encoded) size += Math.ceil(codes.length / 4) * 4 + hopEnergy.byteLength;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(CACHE_FORMAT, 4);
  out.writeUInt32LE(json.length, 8);
  out.writeUInt32LE(dataStart, 12);
  json.copy(out, 16);
  let at = dataStart;
  for (const { codes, hopEnergy } of encoded) {
    out.set(codes, at);
    at += Math.ceil(codes.length / 4) * 4;
    out.set(new Uint8Array(hopEnergy.buffer, hopEnergy.byteOffset, hopEnergy.byteLength), at);
    at += hopEnergy.byteLength;
  }
  const dir = featureDir(corpusDir, frontEnd);
  mkdirSync(dir, { recursive: true });
  const describe = join(dir, 'frontend.json');
  if (!existsSync(describe)) writeFileSync(describe, `${JSON.stringify(frontEnd.config, null, 1)}\n`);
  const path = featurePath(corpusDir, frontEnd, songId);
  writeFileSync(`${path}.tmp-${process.pid}`, out);
  renameSync(`${path}.tmp-${process.pid}`, path);
}

export function readSongFeatures(corpusDir: string, frontEnd: CacheableFrontEnd, songId: string): CachedSong {
  const path = featurePath(corpusDir, frontEnd, songId);
  if (!existsSync(path))
    throw new FeatureCacheError(
      'CACHE_MISSING',
      `no cached features of ${songId} for ${frontEnd.key} (npm run corpus -- --features-only)`,
    );
  const bytes = readFileSync(path);
  if (bytes.length < 16 || bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt32LE(4) !== CACHE_FORMAT)
    throw new FeatureCacheError(
      'CACHE_INVALID',
      `${path} is not a feature cache file of format ${CACHE_FORMAT}`,
    );
  const header = JSON.parse(bytes.toString('utf8', 16, 16 + bytes.readUInt32LE(8))) as {
    songId: string;
    bins: number;
    step: number;
    stems: CachedStemHeader[];
  };
  if (header.bins !== frontEnd.bins || header.step !== CODE_STEP)
    throw new FeatureCacheError(
      'CACHE_INVALID',
      `${path}: ${header.bins} bins / step ${header.step}, expected ${frontEnd.bins} / ${CODE_STEP}`,
    );
  let at = bytes.readUInt32LE(12);
  // The float32 views below need a 4-byte-aligned buffer: copy only when the read one is not.
  let buffer: Uint8Array = bytes;
  if (bytes.byteOffset % 4 !== 0) {
    buffer = new Uint8Array(bytes.length);
    buffer.set(bytes);
  }
  const stems = header.stems.map((stem) => {
    const length = header.bins * stem.frames;
    const codes = buffer.subarray(at, at + length);
    at += Math.ceil(length / 4) * 4;
    const hopEnergy = new Float32Array(buffer.buffer, buffer.byteOffset + at, stem.frames);
    at += stem.frames * 4;
    return { ...stem, codes, hopEnergy };
  });
  return { songId: header.songId, bins: header.bins, stems };
}

/** Energy (E + ε) of each code, for turning codes back into additive energies. */
export function codeEnergies(logEpsilon: number): Float64Array {
  const table = new Float64Array(256);
  const floor = Math.log(logEpsilon);
  for (let q = 0; q < 256; q++) table[q] = Math.exp(floor + q * CODE_STEP);
  return table;
}
