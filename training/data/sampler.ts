import { isSilent } from '../../src/audio/chunk.js';
import {
  chunkFeatureSize,
  chunkSamples,
  DEFAULT_FRONT_END,
  type FrontEndConfig,
} from '../../src/audio/frontend-config.js';
import { createFrontEnd, type FrontEnd } from '../../src/audio/spectrogram.js';
import { type Instrument, instrumentId } from '../../src/instruments.js';
import { AcousticTeacher } from './acoustic-teacher.js';
import { listSongs, loadSong, type SongMeta, type Split } from './corpus.js';
import { Rng } from './random.js';
import { ResidentPool } from './resident-pool.js';

/**
 * Training examples as Stem-JEPA takes them: an aligned crop of one song; the target is one
 * stem that sounds in the crop, the context is the mix of a random non-empty subset of the other
 * stems that sound in it, each with a random gain; the label is the target's instrument.
 *
 * Songs are kept decoded in memory in a small resident pool that slowly turns over (one song
 * swapped every `examplesPerSwap` examples), so sampling never waits on the disk for long and
 * the whole stream is a deterministic function of the seed.
 */

export interface ExampleSamplerOptions {
  corpusDir: string;
  split: Split;
  seed: number;
  config?: FrontEndConfig;
  /** Restrict sampling to these songs (default: every song of the split). */
  songIds?: readonly string[];
  /** Songs decoded in memory at once (about 15 MB each for 45 s songs). */
  residentSongs?: number;
  /** Examples drawn between two song swaps. */
  examplesPerSwap?: number;
  /** Random gain applied to each stem, uniform in ±gainRangeDb around its mix gain. */
  gainRangeDb?: number;
  /** A stem whose crop is quieter than this (RMS, dBFS) counts as silent. */
  silenceDb?: number;
  /**
   * Curriculum: the target is also mixed into the context at this fraction of its own gain
   * (default 0, the real task). A leaked target makes the pair's shared content obvious, which
   * gets a fresh encoder past the point where every embedding looks alike (see training/README).
   */
  targetLeak?: number;
  /**
   * Probability that the context is the mix of *all* the other sounding stems (the query of the
   * evaluation and of a "mix missing one part" search) rather than a random non-empty subset of
   * them (default 0: always a subset, as in the paper). Small subsets often share nothing but
   * tempo with the target, which makes them slow to learn from on a short CPU budget.
   */
  fullContextProbability?: number;
  /**
   * Time columns of the acoustic teacher's descriptors of each context and target (see
   * AcousticTeacher); 0 (default) computes none.
   */
  teacherColumns?: number;
  /** Rhythm bins the teacher appends to each column (see AcousticTeacher); default 0. */
  teacherTempoBins?: number;
}

export interface RawExample {
  songId: string;
  /** Crop start in the song, in samples. */
  startSample: number;
  /** Mono, sample rate of the config, chunkSamples(config) long. */
  context: Float32Array;
  target: Float32Array;
  targetStem: string;
  contextStems: string[];
  instrument: Instrument;
  instrumentId: number;
}

export interface TrainingBatch {
  /** batchSize × nMels × chunkFrames log-mel, mel-major per example. */
  context: Float32Array;
  target: Float32Array;
  instrumentIds: Int32Array;
  songIds: string[];
  /** Crop start of each example in its song, in samples. */
  startSamples: Int32Array;
  /** Which stem of its song each target is. */
  targetStems: string[];
  batchSize: number;
  /** `[B, teacherColumns, channels]` descriptors of each context, when asked for. */
  teacher?: Float32Array;
  /** The same descriptors of each target. */
  targetTeacher?: Float32Array;
}

/**
 * Where a target crop came from: which stem of which song, at which sample, and its instrument.
 * Two crops of the same stem that overlap in time share most of their audio, so neither is a
 * fair negative for the other in a contrastive loss.
 */
export interface TargetKey {
  songId: string;
  targetStem: string;
  startSample: number;
  instrumentId: number;
}

export class SamplerError extends Error {
  readonly code: 'EMPTY_SPLIT' | 'NO_USABLE_CROP';
  constructor(code: SamplerError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

interface ResidentSong {
  songId: string;
  meta: SongMeta;
  stems: { name: string; gain: number; instrument: Instrument; samples: Float32Array }[];
  length: number;
}

const MAX_ATTEMPTS = 200;

export class ExampleSampler {
  readonly config: FrontEndConfig;
  readonly songIds: readonly string[];
  private readonly corpusDir: string;
  private readonly rng: Rng;
  private readonly cropLength: number;
  private readonly gainRangeDb: number;
  private readonly silenceDb: number;
  private readonly targetLeak: number;
  private readonly fullContextProbability: number;
  private readonly spectrogram: FrontEnd;
  private readonly teacher: AcousticTeacher | undefined;
  private readonly pool: ResidentPool<ResidentSong>;

  constructor(options: ExampleSamplerOptions) {
    this.config = options.config ?? DEFAULT_FRONT_END;
    this.corpusDir = options.corpusDir;
    this.songIds = options.songIds ?? listSongs(options.corpusDir, options.split);
    if (this.songIds.length === 0) {
      throw new SamplerError('EMPTY_SPLIT', `no songs in split ${options.split} of ${options.corpusDir}`);
    }
    this.rng = new Rng(options.seed);
    this.cropLength = chunkSamples(this.config);
    this.gainRangeDb = options.gainRangeDb ?? 6;
    this.silenceDb = options.silenceDb ?? -50;
    this.targetLeak = options.targetLeak ?? 0;
    this.fullContextProbability = options.fullContextProbability ?? 0;
    this.spectrogram = createFrontEnd(this.config);
    this.teacher = options.teacherColumns
      ? new AcousticTeacher(this.config, options.teacherColumns, options.teacherTempoBins ?? 0)
      : undefined;
    if (this.spectrogram.frameCount(this.cropLength) !== this.config.chunkFrames) {
      throw new RangeError(
        `a ${this.cropLength}-sample crop does not give ${this.config.chunkFrames} frames`,
      );
    }
    this.pool = new ResidentPool(
      this.rng,
      this.songIds,
      Math.min(options.residentSongs ?? 32, this.songIds.length),
      options.examplesPerSwap ?? 8,
      (songId) => this.load(songId),
      (song) => song.songId,
    );
  }

  private load(songId: string): ResidentSong {
    const { meta, stems } = loadSong(this.corpusDir, songId);
    if (meta.sampleRate !== this.config.sampleRate) {
      throw new RangeError(
        `${songId} is at ${meta.sampleRate} Hz, the front end wants ${this.config.sampleRate} Hz`,
      );
    }
    const resident = meta.stems.map((stem) => ({
      name: stem.name,
      gain: stem.gain,
      instrument: stem.instrument,
      samples: stems.get(stem.name)!,
    }));
    return {
      songId,
      meta,
      stems: resident,
      length: Math.max(...resident.map((stem) => stem.samples.length)),
    };
  }

  /** The crop as a view when it lies inside the signal, else a zero-padded copy. */
  private crop(samples: Float32Array, start: number): Float32Array {
    if (start + this.cropLength <= samples.length) return samples.subarray(start, start + this.cropLength);
    const out = new Float32Array(this.cropLength);
    out.set(samples.subarray(start));
    return out;
  }

  /** One example as raw audio (16 kHz mono), for training and for evaluation code. */
  sampleExample(): RawExample {
    this.pool.maybeSwap();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const song = this.rng.pick(this.pool.songs);
      const start = this.rng.int(0, Math.max(0, song.length - this.cropLength));
      const sounding = song.stems
        .map((stem) => ({ stem, crop: this.crop(stem.samples, start) }))
        .filter(({ crop }) => !isSilent(crop, this.silenceDb));
      if (sounding.length < 2) continue;
      const targetIndex = this.rng.int(0, sounding.length - 1);
      const target = sounding[targetIndex];
      const others = sounding.filter((_, index) => index !== targetIndex);
      const chosen = drawContext(this.rng, others, this.fullContextProbability);
      const context = new Float32Array(this.cropLength);
      for (const { stem, crop } of chosen) {
        const gain = randomGain(this.rng, stem.gain, this.gainRangeDb);
        for (let i = 0; i < context.length; i++) context[i] += gain * crop[i];
      }
      const targetGain = randomGain(this.rng, target.stem.gain, this.gainRangeDb);
      const targetAudio = new Float32Array(this.cropLength);
      for (let i = 0; i < targetAudio.length; i++) targetAudio[i] = targetGain * target.crop[i];
      if (this.targetLeak > 0) {
        for (let i = 0; i < context.length; i++) context[i] += this.targetLeak * targetAudio[i];
      }
      return {
        songId: song.songId,
        startSample: start,
        context,
        target: targetAudio,
        targetStem: target.stem.name,
        contextStems: chosen.map(({ stem }) => stem.name),
        instrument: target.stem.instrument,
        instrumentId: instrumentId(target.stem.instrument),
      };
    }
    throw new SamplerError('NO_USABLE_CROP', `no crop with two sounding stems in ${MAX_ATTEMPTS} attempts`);
  }

  /** A batch of log-mel examples, laid out as the encoder's input [B, nMels, chunkFrames]. */
  nextBatch(batchSize: number): TrainingBatch {
    const perExample = chunkFeatureSize(this.config);
    const batch: TrainingBatch = {
      ...emptyBatch(batchSize, perExample),
      teacher: this.teacher ? new Float32Array(batchSize * this.teacher.width) : undefined,
      targetTeacher: this.teacher ? new Float32Array(batchSize * this.teacher.width) : undefined,
    };
    for (let b = 0; b < batchSize; b++) {
      const example = this.sampleExample();
      this.spectrogram.computeInto(example.context, batch.context, b * perExample);
      this.spectrogram.computeInto(example.target, batch.target, b * perExample);
      if (this.teacher) {
        const [from, to, at] = [b * perExample, (b + 1) * perExample, b * this.teacher.width];
        this.teacher.describeInto(example.context, batch.context.subarray(from, to), batch.teacher!, at);
        this.teacher.describeInto(example.target, batch.target.subarray(from, to), batch.targetTeacher!, at);
      }
      batch.instrumentIds[b] = example.instrumentId;
      batch.songIds.push(example.songId);
      batch.startSamples[b] = example.startSample;
      batch.targetStems.push(example.targetStem);
    }
    return batch;
  }
}

/**
 * A stem's gain in one example: its mix gain times a random factor uniform in ±rangeDb (dB).
 * Both samplers draw gains this way.
 */
export function randomGain(rng: Rng, mixGain: number, rangeDb: number): number {
  return mixGain * 10 ** (rng.uniform(-rangeDb, rangeDb) / 20);
}

/**
 * The context stems of one example: all of `others` with probability `fullContextProbability`,
 * else a random non-empty subset of them. Both samplers draw contexts this way.
 */
export function drawContext<T>(rng: Rng, others: T[], fullContextProbability: number): T[] {
  if (fullContextProbability > 0 && rng.uniform(0, 1) < fullContextProbability) return others;
  return rng.shuffle(others).slice(0, rng.int(1, others.length));
}

/** A zeroed batch of `batchSize` examples of `perExample` feature values each, to be filled in. */
export function emptyBatch(batchSize: number, perExample: number): TrainingBatch {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size ${batchSize}`);
  return {
    context: new Float32Array(batchSize * perExample),
    target: new Float32Array(batchSize * perExample),
    instrumentIds: new Int32Array(batchSize),
    songIds: [],
    startSamples: new Int32Array(batchSize),
    targetStems: [],
    batchSize,
  };
}

/** Where each of a batch's targets came from, for masking near-copies out of contrastive negatives. */
export function batchTargetKeys(batch: TrainingBatch): TargetKey[] {
  return batch.songIds.map((songId, i) => ({
    songId,
    targetStem: batch.targetStems[i]!,
    startSample: batch.startSamples[i]!,
    instrumentId: batch.instrumentIds[i]!,
  }));
}
