import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSilent } from '../../../src/audio/chunk.js';
import { INSTRUMENTS } from '../../../src/instruments.js';
import {
  GENERATOR_VERSION,
  isSongCurrent,
  listSongs,
  loadMix,
  loadSong,
  SPLITS,
  songDir,
  songIdForSeed,
  splitForSeed,
} from '../../../training/data/corpus.js';
import { generateSong } from '../../../training/data/generate.js';
import { PrefetchingSampler } from '../../../training/data/prefetch.js';
import { labelForProgram, labelForStem } from '../../../training/data/programs.js';
import { batchTargetKeys, ExampleSampler } from '../../../training/data/sampler.js';
import { styleForSeed } from '../../../training/data/song.js';
import { HELDOUT_STYLE } from '../../../training/data/styles.js';
import { excludedNegatives } from '../../../training/run/negative-queue.js';
import { PitchClassAnalyser } from './pitch-class.js';

/** Ten short songs (8-12 s) rendered for real with fluidsynth into a temporary corpus. */
const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const SHORT: readonly [number, number] = [8, 12];

let corpusDir: string;
let copyDir: string;

beforeAll(async () => {
  corpusDir = mkdtempSync(join(tmpdir(), 'stemdex-corpus-'));
  copyDir = mkdtempSync(join(tmpdir(), 'stemdex-corpus-copy-'));
  for (const seed of SEEDS) await generateSong(corpusDir, seed, { durationRange: SHORT });
  for (const seed of SEEDS.slice(0, 2)) await generateSong(copyDir, seed, { durationRange: SHORT });
});

afterAll(() => {
  rmSync(corpusDir, { recursive: true, force: true });
  rmSync(copyDir, { recursive: true, force: true });
});

function filesOf(dir: string, songId: string): Map<string, Buffer> {
  const folder = songDir(dir, songId);
  return new Map(readdirSync(folder).map((file) => [file, readFileSync(join(folder, file))]));
}

describe('song generation', () => {
  it('is deterministic: the same seed gives byte-identical stems, mix and metadata', () => {
    for (const seed of SEEDS.slice(0, 2)) {
      const a = filesOf(corpusDir, songIdForSeed(seed));
      const b = filesOf(copyDir, songIdForSeed(seed));
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [file, bytes] of a) expect(bytes.equals(b.get(file)!), file).toBe(true);
    }
    const mixes = SEEDS.slice(0, 3).map((seed) => loadMix(corpusDir, songIdForSeed(seed)));
    expect(mixes[0].length === mixes[1].length && mixes[0].every((x, i) => x === mixes[1][i])).toBe(false);
  });

  it('writes metadata a song can be reproduced and described from', () => {
    for (const songId of listSongs(corpusDir)) {
      const { meta, stems } = loadSong(corpusDir, songId);
      expect(meta.tempo).toBeGreaterThanOrEqual(60);
      expect(meta.tempo).toBeLessThanOrEqual(180);
      expect(meta.chords).toHaveLength(meta.bars);
      expect(meta.split).toBe(splitForSeed(meta.seed));
      expect(meta.stems.length).toBeGreaterThanOrEqual(3);
      expect(new Set(meta.stems.map((stem) => stem.name)).size).toBe(meta.stems.length);
      for (const stem of meta.stems) {
        const samples = stems.get(stem.name)!;
        expect(samples.length).toBe(Math.round(meta.durationSeconds * meta.sampleRate));
        expect(isSilent(samples, -60)).toBe(false);
      }
    }
  });

  it('mixes: the mix is the sum of the stored stems times their recorded gains', () => {
    for (const songId of listSongs(corpusDir)) {
      const { meta, stems } = loadSong(corpusDir, songId);
      const mix = loadMix(corpusDir, songId);
      let worst = 0;
      let energy = 0;
      for (let i = 0; i < mix.length; i++) {
        let sum = 0;
        for (const stem of meta.stems) sum += stem.gain * stems.get(stem.name)![i];
        worst = Math.max(worst, Math.abs(sum - mix[i]));
        energy += mix[i] * mix[i];
      }
      // Only the mix's own 16-bit rounding separates them: half a step.
      expect(worst).toBeLessThanOrEqual(0.5 / 32768 + 1e-7);
      expect(energy).toBeGreaterThan(0);
    }
  });

  it('labels every stem by its General MIDI program, drums by the drum channel', () => {
    const seen = new Set<string>();
    for (const songId of listSongs(corpusDir)) {
      for (const stem of loadSong(corpusDir, songId).meta.stems) {
        expect(stem.instrument).toBe(labelForStem(stem));
        expect(stem.instrumentId).toBe(INSTRUMENTS.indexOf(stem.instrument));
        expect(stem.instrument === 'drums').toBe(stem.channel === 9);
        seen.add(stem.instrument);
      }
    }
    expect(seen.has('drums') && seen.has('bass')).toBe(true);
    expect(labelForProgram(0)).toBe('piano');
    expect(labelForProgram(53)).toBe('vocals');
    expect(labelForProgram(48)).toBe('strings');
    expect(labelForProgram(61)).toBe('other');
    expect(labelForProgram(89)).toBe('synth');
    expect(labelForProgram(30)).toBe('guitar');
    expect(labelForProgram(33)).toBe('bass');
  });

  it('renders bass lines that follow the chord roots (measured with the log-mel front end)', () => {
    // On the first half of each bar (where every bass pattern states the root) the strongest
    // pitch class must be the chord's root in at least 85% of the bars where the bass plays.
    const analyser = new PitchClassAnalyser();
    let bars = 0;
    let matches = 0;
    for (const songId of listSongs(corpusDir)) {
      const { meta, stems } = loadSong(corpusDir, songId);
      const bass = meta.stems.find((stem) => stem.name === 'bass' && stem.instrument === 'bass');
      if (!bass) continue;
      const samples = stems.get('bass')!;
      for (const chord of meta.chords) {
        const start = Math.round(chord.bar * meta.barSeconds * meta.sampleRate);
        const end = Math.round((chord.bar + 0.5) * meta.barSeconds * meta.sampleRate);
        const firstHalf = samples.subarray(start, end);
        if (isSilent(firstHalf, -45)) continue;
        bars++;
        if (analyser.dominant(firstHalf) === chord.rootPitchClass) matches++;
      }
    }
    expect(bars).toBeGreaterThanOrEqual(20);
    expect(matches / bars).toBeGreaterThanOrEqual(0.85);
  });
});

describe('corpus CLI', () => {
  it('resumes: skips current songs, regenerates songs of another generator version, writes index.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stemdex-corpus-resume-'));
    try {
      for (const seed of [0, 1]) {
        cpSync(songDir(corpusDir, songIdForSeed(seed)), songDir(dir, songIdForSeed(seed)), {
          recursive: true,
        });
      }
      const stalePath = join(songDir(dir, songIdForSeed(1)), 'meta.json');
      const stale = JSON.parse(readFileSync(stalePath, 'utf8'));
      writeFileSync(stalePath, JSON.stringify({ ...stale, generatorVersion: GENERATOR_VERSION - 1 }));
      expect(isSongCurrent(dir, songIdForSeed(1))).toBe(false);

      const cli = join(import.meta.dirname, '../../../training/data/cli.ts');
      const args = [
        '--import',
        'tsx',
        cli,
        '--format',
        'v1',
        '--songs',
        '3',
        '--out',
        dir,
        '--min-seconds',
        '8',
        '--max-seconds',
        '12',
      ];
      const { stdout } = await promisify(execFile)(process.execPath, args);
      expect(stdout).toContain('3 songs wanted, 1 already complete');
      expect(stdout).toMatch(/songs\/min/);
      for (const seed of [0, 1, 2]) expect(isSongCurrent(dir, songIdForSeed(seed))).toBe(true);
      const regenerated = filesOf(dir, songIdForSeed(1));
      for (const [file, bytes] of filesOf(corpusDir, songIdForSeed(1)))
        expect(bytes.equals(regenerated.get(file)!)).toBe(true);
      const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
      expect(index.totals.songs).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('splits', () => {
  it('assigns every seed to exactly one split, roughly 80/10/10, with the held-out style only in its own split', () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 5000; seed++) {
      const split = splitForSeed(seed);
      counts.set(split, (counts.get(split) ?? 0) + 1);
      expect(split === 'heldout_style').toBe(styleForSeed(seed).name === HELDOUT_STYLE);
    }
    const others = 5000 - counts.get('heldout_style')!;
    expect(counts.get('train')! / others).toBeCloseTo(0.8, 1);
    expect(counts.get('validation')! / others).toBeCloseTo(0.1, 1);
    expect(counts.get('test')! / others).toBeCloseTo(0.1, 1);
  });

  it('lists disjoint splits that together cover the corpus', () => {
    const all = listSongs(corpusDir);
    const bySplit = SPLITS.map((split) => listSongs(corpusDir, split));
    expect(bySplit.flat().sort()).toEqual(all);
    expect(new Set(bySplit.flat()).size).toBe(all.length);
    for (const [index, split] of SPLITS.entries()) {
      for (const songId of bySplit[index]) expect(loadSong(corpusDir, songId).meta.split).toBe(split);
    }
    expect(listSongs(corpusDir, 'heldout_style')).toContain(songIdForSeed(4));
  });
});

describe('ExampleSampler', () => {
  it('never returns a silent target, an empty context, or the target inside its context', () => {
    const sampler = new ExampleSampler({
      corpusDir,
      split: 'train',
      seed: 7,
      residentSongs: 4,
      examplesPerSwap: 5,
    });
    const songs = new Set<string>();
    for (let i = 0; i < 150; i++) {
      const example = sampler.sampleExample();
      songs.add(example.songId);
      expect(example.contextStems.length).toBeGreaterThanOrEqual(1);
      expect(example.contextStems).not.toContain(example.targetStem);
      expect(isSilent(example.target, -50)).toBe(false);
      expect(isSilent(example.context, -50)).toBe(false);
      expect(example.target).toHaveLength(128_000);
      const meta = loadSong(corpusDir, example.songId).meta;
      const target = meta.stems.find((stem) => stem.name === example.targetStem)!;
      expect(example.instrument).toBe(target.instrument);
      expect(example.instrumentId).toBe(INSTRUMENTS.indexOf(target.instrument));
      expect(meta.split).toBe('train');
    }
    // The resident pool turns over: more songs are visited than are resident at once.
    expect(songs.size).toBeGreaterThan(4);
  });

  it('uses every other sounding stem as the context when asked to, a subset otherwise', () => {
    const make = (fullContextProbability: number) =>
      new ExampleSampler({ corpusDir, split: 'train', seed: 9, residentSongs: 4, fullContextProbability });
    const soundingOthers = (example: ReturnType<ExampleSampler['sampleExample']>) => {
      const { stems } = loadSong(corpusDir, example.songId);
      return [...stems]
        .filter(([name]) => name !== example.targetStem)
        .filter(([, samples]) => {
          const crop = new Float32Array(128_000);
          crop.set(samples.subarray(example.startSample, example.startSample + 128_000));
          return !isSilent(crop, -50);
        })
        .map(([name]) => name)
        .sort();
    };
    const [full, subsets] = [make(1), make(0)];
    let partial = 0;
    for (let i = 0; i < 40; i++) {
      const example = full.sampleExample();
      expect([...example.contextStems].sort()).toEqual(soundingOthers(example));
      const subset = subsets.sampleExample();
      if (subset.contextStems.length < soundingOthers(subset).length) partial++;
    }
    expect(partial).toBeGreaterThan(0);
  });

  it('yields log-mel batches in the encoder layout, deterministically for a seed', () => {
    const make = (seed: number) => new ExampleSampler({ corpusDir, split: 'train', seed, residentSongs: 3 });
    const a = make(11).nextBatch(3);
    const b = make(11).nextBatch(3);
    const c = make(12).nextBatch(3);
    expect(a.batchSize).toBe(3);
    expect(a.context).toHaveLength(3 * 80 * 800);
    expect(a.target).toHaveLength(3 * 80 * 800);
    expect(a.instrumentIds).toHaveLength(3);
    expect(a.songIds).toHaveLength(3);
    expect(a.context.every(Number.isFinite) && a.target.every(Number.isFinite)).toBe(true);
    expect(a.context).toEqual(b.context);
    expect(a.target).toEqual(b.target);
    expect([...a.instrumentIds]).toEqual([...b.instrumentIds]);
    expect(a.context).not.toEqual(c.context);
  });

  it('marks overlapping crops of the same stem as near-copies, and nothing else', () => {
    const batch = new ExampleSampler({ corpusDir, split: 'train', seed: 3, residentSongs: 2 }).nextBatch(12);
    expect(batch.startSamples).toHaveLength(12);
    expect(batch.targetStems).toHaveLength(12);
    // Longer than any corpus song: every pair of crops of one stem overlaps.
    const window = 16_000 * 600;
    const keys = batchTargetKeys(batch);
    const overlapping = (overlapSamples: number) =>
      excludedNegatives(keys, keys, { overlapSamples, sameInstrumentOnly: false });
    const mask = overlapping(window);
    let marked = 0;
    for (let i = 0; i < 12; i++) {
      for (let j = 0; j < 12; j++) {
        const nearCopy =
          i !== j &&
          batch.songIds[i] === batch.songIds[j] &&
          batch.targetStems[i] === batch.targetStems[j] &&
          Math.abs(batch.startSamples[i]! - batch.startSamples[j]!) < window;
        expect(mask[i * 12 + j]).toBe(nearCopy ? 1 : 0);
        expect(mask[i * 12 + j]).toBe(mask[j * 12 + i]);
        marked += mask[i * 12 + j]!;
      }
    }
    expect(marked).toBeGreaterThan(0);
    expect(overlapping(0).every((value) => value === 0)).toBe(true);
  });

  it('leaks the target into the context by the curriculum fraction, drawing the same examples', () => {
    const make = (targetLeak: number) =>
      new ExampleSampler({ corpusDir, split: 'train', seed: 21, residentSongs: 3, targetLeak });
    const [plain, leaky] = [make(0), make(0.5)];
    for (let n = 0; n < 5; n++) {
      const a = plain.sampleExample();
      const b = leaky.sampleExample();
      expect(b.songId).toBe(a.songId);
      expect(b.target).toEqual(a.target);
      let worst = 0;
      for (let i = 0; i < a.context.length; i++) {
        worst = Math.max(worst, Math.abs(b.context[i]! - a.context[i]! - 0.5 * a.target[i]!));
      }
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('prefetches on a worker thread the same batches as the in-thread sampler', async () => {
    const options = { corpusDir, split: 'train' as const, seed: 5, residentSongs: 3 };
    const inThread = new ExampleSampler(options);
    const prefetcher = new PrefetchingSampler({ ...options, batchSize: 2, depth: 2 });
    try {
      for (let i = 0; i < 2; i++) {
        const expected = inThread.nextBatch(2);
        const actual = await prefetcher.nextBatch();
        expect(actual.context).toEqual(expected.context);
        expect(actual.target).toEqual(expected.target);
        expect([...actual.instrumentIds]).toEqual([...expected.instrumentIds]);
        expect(actual.songIds).toEqual(expected.songIds);
      }
    } finally {
      await prefetcher.close();
    }
  });
});
