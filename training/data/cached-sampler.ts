import { DEFAULT_FRONT_END, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { listSongs } from './corpus.js';
import {
  type CacheableFrontEnd,
  type CachedSong,
  type CachedStem,
  cacheableFrontEnd,
  codeEnergies,
  readSongFeatures,
} from './feature-cache.js';
import { Rng } from './random.js';
import { ResidentPool } from './resident-pool.js';
import {
  drawContext,
  type ExampleSamplerOptions,
  emptyBatch,
  randomGain,
  SamplerError,
  type TrainingBatch,
} from './sampler.js';

/**
 * ExampleSampler's examples formed in the feature domain from the per-stem feature cache
 * (feature-cache.ts): an example is a read of cached codes and an addition of energies, with no
 * audio decoding and no transform. Same drawing rules as ExampleSampler — a random song of the
 * resident pool, an aligned 8 s crop (on the hop grid), sounding stems above `silenceDb`, one
 * target, a random non-empty subset of the others as context, each stem at its mix gain times a
 * random ±gainRangeDb — and the same batch layout. The acoustic teacher needs audio, so it is not
 * available here.
 */

interface ResidentSong {
  song: CachedSong;
  frames: number;
  /** Per stem: prefix sums of hop energies, for the crop's mean square in O(1). */
  energySums: Float64Array[];
}

const MAX_ATTEMPTS = 200;

/**
 * The logarithm by table: a positive float32's top 18 bits (exponent and 10 mantissa bits) index
 * a table of normalised logs at the middle of each bit range, so the error is below 2^-11 relative
 * in energy (0.0005 nats), far inside the codes' ±0.05-nat quantisation, at a fraction of
 * Math.log's cost per value.
 */
const LOG_TABLE_SHIFT = 13;

function normalisedLogTable(config: FrontEndConfig): Float32Array {
  const table = new Float32Array(2 ** (31 - LOG_TABLE_SHIFT));
  const bits = new Uint32Array(1);
  const value = new Float32Array(bits.buffer);
  for (let i = 0; i < table.length; i++) {
    bits[0] = (i << LOG_TABLE_SHIFT) | (1 << (LOG_TABLE_SHIFT - 1));
    table[i] = (Math.log(value[0]) - config.normMean) / config.normStd;
  }
  return table;
}

export type CachedSamplerOptions = Omit<ExampleSamplerOptions, 'teacherColumns' | 'teacherTempoBins'> & {
  teacherColumns?: 0;
};

export class CachedExampleSampler {
  readonly config: FrontEndConfig;
  readonly songIds: readonly string[];
  readonly frontEnd: CacheableFrontEnd;
  private readonly corpusDir: string;
  private readonly rng: Rng;
  private readonly gainRangeDb: number;
  private readonly silenceDb: number;
  private readonly targetLeak: number;
  private readonly fullContextProbability: number;
  private readonly energies: Float32Array;
  private readonly pool: ResidentPool<ResidentSong>;
  /** Energies of stems beyond the third of a context. */
  private readonly accumulator: Float32Array;
  /** One mixed energy as float32, and its bits for the table logarithm. */
  private readonly cell = new Float32Array(1);
  private readonly cellBits = new Uint32Array(this.cell.buffer);
  private readonly logTable: Float32Array;
  /** One energy table per mixed stem (a song has at most 16 channels, plus a leaked target). */
  private readonly scaledTables = Array.from({ length: 17 }, () => new Float32Array(256));
  private readonly targetLog = new Float32Array(256);

  constructor(options: CachedSamplerOptions) {
    if ((options as ExampleSamplerOptions).teacherColumns)
      throw new RangeError(
        'the feature-cache sampler has no audio, so it cannot compute the acoustic teacher',
      );
    this.config = options.config ?? DEFAULT_FRONT_END;
    this.frontEnd = cacheableFrontEnd(this.config);
    this.corpusDir = options.corpusDir;
    this.songIds = options.songIds ?? listSongs(options.corpusDir, options.split);
    if (this.songIds.length === 0)
      throw new SamplerError('EMPTY_SPLIT', `no songs in split ${options.split} of ${options.corpusDir}`);
    this.rng = new Rng(options.seed);
    this.gainRangeDb = options.gainRangeDb ?? 6;
    this.silenceDb = options.silenceDb ?? -50;
    this.targetLeak = options.targetLeak ?? 0;
    this.fullContextProbability = options.fullContextProbability ?? 0;
    this.energies = Float32Array.from(codeEnergies(this.config.logEpsilon));
    this.accumulator = new Float32Array(this.frontEnd.bins * this.config.chunkFrames);
    this.logTable = normalisedLogTable(this.config);
    this.pool = new ResidentPool(
      this.rng,
      this.songIds,
      Math.min(options.residentSongs ?? 64, this.songIds.length),
      options.examplesPerSwap ?? 8,
      (songId) => this.load(songId),
      (entry) => entry.song.songId,
    );
  }

  private load(songId: string): ResidentSong {
    const song = readSongFeatures(this.corpusDir, this.frontEnd, songId);
    const energySums = song.stems.map((stem) => {
      const sums = new Float64Array(stem.frames + 1);
      for (let f = 0; f < stem.frames; f++) sums[f + 1] = sums[f] + stem.hopEnergy[f];
      return sums;
    });
    return { song, frames: Math.min(...song.stems.map((stem) => stem.frames)), energySums };
  }

  /** Per-stem energy tables scaled by the stem's power (plus `offset`): one multiply per code value. */
  private scaledTable(index: number, power: number, offset = 0): Float32Array {
    const table = this.scaledTables[index];
    for (let q = 0; q < 256; q++) table[q] = power * this.energies[q] + offset;
    return table;
  }

  /**
   * ln(Σ g_i² (E_i + ε) + ε(1 − Σ g_i²)) = ln(Σ g_i² E_i + ε) normalised, into `out` at `offset`.
   * Per value, up to three stems' pre-scaled energies are summed (the correction for the stems'
   * own ε rides in the first table; stems beyond the third are first added into the
   * accumulator), the sum is stored as float32 and its logarithm read from the table by its bits.
   * The sum is at least ε, so the bits always index the table.
   */
  private writeContext(
    stems: readonly CachedStem[],
    powers: readonly number[],
    startFrame: number,
    out: Float32Array,
    offset: number,
  ): void {
    const { chunkFrames, logEpsilon } = this.config;
    const bins = this.frontEnd.bins;
    const powerSum = powers.reduce((sum, power) => sum + power, 0);
    const correction = logEpsilon * (1 - powerSum);
    const { cell, cellBits, logTable, accumulator } = this;
    const extra = stems.length > 3 ? stems.length - 3 : 0;
    if (extra > 0) {
      accumulator.fill(0);
      for (let k = 0; k < extra; k++) {
        const table = this.scaledTable(k, powers[k]);
        const { codes, frames } = stems[k];
        for (let bin = 0; bin < bins; bin++) {
          const from = bin * frames + startFrame;
          const to = bin * chunkFrames;
          for (let f = 0; f < chunkFrames; f++) accumulator[to + f] += table[codes[from + f]];
        }
      }
    }
    const main = stems.slice(extra);
    const t0 = this.scaledTable(extra, powers[extra], correction);
    const t1 = main.length > 1 ? this.scaledTable(extra + 1, powers[extra + 1]) : t0;
    const t2 = main.length > 2 ? this.scaledTable(extra + 2, powers[extra + 2]) : t0;
    const c0 = main[0].codes;
    const c1 = main[Math.min(1, main.length - 1)].codes;
    const c2 = main[Math.min(2, main.length - 1)].codes;
    const frames = main.map((stem) => stem.frames);
    for (let bin = 0; bin < bins; bin++) {
      const a0 = bin * frames[0] + startFrame;
      const a1 = bin * frames[Math.min(1, main.length - 1)] + startFrame;
      const a2 = bin * frames[Math.min(2, main.length - 1)] + startFrame;
      const to = bin * chunkFrames;
      const at = offset + to;
      if (main.length === 1) {
        for (let f = 0; f < chunkFrames; f++) {
          cell[0] = t0[c0[a0 + f]];
          out[at + f] = logTable[cellBits[0] >>> LOG_TABLE_SHIFT];
        }
      } else if (main.length === 2) {
        for (let f = 0; f < chunkFrames; f++) {
          cell[0] = t0[c0[a0 + f]] + t1[c1[a1 + f]];
          out[at + f] = logTable[cellBits[0] >>> LOG_TABLE_SHIFT];
        }
      } else if (extra === 0) {
        for (let f = 0; f < chunkFrames; f++) {
          cell[0] = t0[c0[a0 + f]] + t1[c1[a1 + f]] + t2[c2[a2 + f]];
          out[at + f] = logTable[cellBits[0] >>> LOG_TABLE_SHIFT];
        }
      } else {
        for (let f = 0; f < chunkFrames; f++) {
          cell[0] = accumulator[to + f] + t0[c0[a0 + f]] + t1[c1[a1 + f]] + t2[c2[a2 + f]];
          out[at + f] = logTable[cellBits[0] >>> LOG_TABLE_SHIFT];
        }
      }
    }
  }

  /** A single stem at power g²: a 256-entry table of normalised logs, then a lookup per value. */
  private writeTarget(
    stem: CachedStem,
    startFrame: number,
    power: number,
    out: Float32Array,
    offset: number,
  ): void {
    const { normMean, normStd, logEpsilon, chunkFrames } = this.config;
    const table = this.targetLog;
    for (let q = 0; q < 256; q++) {
      const energy = power * (this.energies[q] - logEpsilon) + logEpsilon;
      table[q] = (Math.log(energy) - normMean) / normStd;
    }
    for (let bin = 0; bin < this.frontEnd.bins; bin++) {
      const from = bin * stem.frames + startFrame;
      const to = offset + bin * chunkFrames;
      for (let f = 0; f < chunkFrames; f++) out[to + f] = table[stem.codes[from + f]];
    }
  }

  private sounding(entry: ResidentSong, index: number, startFrame: number): boolean {
    const sums = entry.energySums[index];
    const meanSquare =
      (sums[startFrame + this.config.chunkFrames] - sums[startFrame]) / this.config.chunkFrames;
    return 10 * Math.log10(meanSquare + 1e-20) >= this.silenceDb;
  }

  /** Draws one example and writes its context and target features at `offset`. */
  private drawInto(batch: TrainingBatch, b: number): void {
    const perExample = this.frontEnd.bins * this.config.chunkFrames;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = this.rng.pick(this.pool.songs);
      if (entry.frames < this.config.chunkFrames) continue;
      const startFrame = this.rng.int(0, entry.frames - this.config.chunkFrames);
      const sounding = entry.song.stems.filter((_, index) => this.sounding(entry, index, startFrame));
      if (sounding.length < 2) continue;
      const targetIndex = this.rng.int(0, sounding.length - 1);
      const target = sounding[targetIndex];
      const others = sounding.filter((_, index) => index !== targetIndex);
      const chosen = drawContext(this.rng, others, this.fullContextProbability);
      const mixed = [...chosen];
      const powers = chosen.map((stem) => randomGain(this.rng, stem.gain, this.gainRangeDb) ** 2);
      const targetPower = randomGain(this.rng, target.gain, this.gainRangeDb) ** 2;
      if (this.targetLeak > 0) {
        mixed.push(target);
        powers.push(this.targetLeak ** 2 * targetPower);
      }
      this.writeContext(mixed, powers, startFrame, batch.context, b * perExample);
      this.writeTarget(target, startFrame, targetPower, batch.target, b * perExample);
      batch.instrumentIds[b] = target.instrumentId;
      batch.songIds.push(entry.song.songId);
      batch.startSamples[b] = startFrame * this.config.hopLength;
      batch.targetStems.push(target.name);
      return;
    }
    throw new SamplerError('NO_USABLE_CROP', `no crop with two sounding stems in ${MAX_ATTEMPTS} attempts`);
  }

  /** A batch laid out as ExampleSampler's: [B, bins, chunkFrames] context and target features. */
  nextBatch(batchSize: number): TrainingBatch {
    const batch = emptyBatch(batchSize, this.frontEnd.bins * this.config.chunkFrames);
    for (let b = 0; b < batchSize; b++) {
      this.pool.maybeSwap();
      this.drawInto(batch, b);
    }
    return batch;
  }
}
