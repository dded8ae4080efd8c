import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CQT_FRONT_END, DEFAULT_FRONT_END } from '../../../src/audio/frontend-config.js';
import { LogMelSpectrogram } from '../../../src/audio/log-mel.js';
import { createFrontEnd } from '../../../src/audio/spectrogram.js';
import { CachedExampleSampler } from '../../../training/data/cached-sampler.js';
import {
  listSongs,
  loadMix,
  loadSong,
  readSongMeta,
  SPLITS,
  songDir,
  splitForSeed,
  splitForSongId,
} from '../../../training/data/corpus.js';
import { cacheableFrontEnd, frontEndKey, readSongFeatures } from '../../../training/data/feature-cache.js';
import { measureMixError } from '../../../training/data/feature-mix-error.js';
import { generateV2Song, hasFeatureCache, v2SongId } from '../../../training/data/generate-v2.js';
import { encodeMidiFile, type MidiEvent } from '../../../training/data/midi.js';
import { isHeldOutFamily, loadGrooveLibrary } from '../../../training/data/mma-library.js';
import { familyForSeed, mmaSplitForSeed, planMmaSong } from '../../../training/data/mma-song.js';
import { PrefetchingSampler } from '../../../training/data/prefetch.js';
import { Rng } from '../../../training/data/random.js';
import { readMidiFile } from '../../../training/data/smf-read.js';
import { styleForSeed } from '../../../training/data/song.js';
import { HELDOUT_STYLE } from '../../../training/data/styles.js';
import {
  checkTrainingPool,
  drawStemTimbre,
  HELD_OUT_SOUNDFONT,
  isHeldOutSoundFont,
  TEST_SOUNDFONTS,
  TRAINING_SOUNDFONTS,
} from '../../../training/data/timbre.js';

const families = loadGrooveLibrary();
const frontEnd = cacheableFrontEnd(DEFAULT_FRONT_END);
const SHORT = [8, 12] as const;
const options = { durationRange: SHORT, pool: TEST_SOUNDFONTS, families, frontEnds: [frontEnd] };

function firstSeed(split: string, splitOf: (seed: number) => string): number {
  let seed = 0;
  while (splitOf(seed) !== split) seed++;
  return seed;
}

const mmaTrain = firstSeed('train', mmaSplitForSeed);
const mmaTest = firstSeed('test', mmaSplitForSeed);
const genTrain = firstSeed('train', splitForSeed);

let corpusDir: string;
let copyDir: string;

beforeAll(async () => {
  corpusDir = mkdtempSync(join(tmpdir(), 'stemdex-corpus-v2-'));
  copyDir = mkdtempSync(join(tmpdir(), 'stemdex-corpus-v2-copy-'));
  await generateV2Song(corpusDir, 'mma', mmaTrain, options);
  await generateV2Song(corpusDir, 'mma', mmaTest, options);
  await generateV2Song(corpusDir, 'mma', mmaTest, options, true);
  await generateV2Song(corpusDir, 'generated', genTrain, options);
  await generateV2Song(copyDir, 'mma', mmaTrain, options);
}, 180_000);

afterAll(() => {
  rmSync(corpusDir, { recursive: true, force: true });
  rmSync(copyDir, { recursive: true, force: true });
});

describe('corpus v2 splits', () => {
  it('gives every song id exactly one split, and twins only heldout_timbre', () => {
    for (let seed = 0; seed < 2000; seed++) {
      for (const id of [v2SongId('mma', seed), v2SongId('generated', seed)]) {
        expect(SPLITS).toContain(splitForSongId(id));
        expect(splitForSongId(`${id}-timgm`)).toBe('heldout_timbre');
      }
    }
    expect(splitForSongId('mix.flac')).toBeUndefined();
  });

  it('keeps held-out style families and the jazz style out of every other split', () => {
    const counts: Record<string, number> = {};
    for (let seed = 0; seed < 1500; seed++) {
      const split = mmaSplitForSeed(seed);
      counts[split] = (counts[split] ?? 0) + 1;
      expect(isHeldOutFamily(familyForSeed(seed, families).id), `mma seed ${seed}`).toBe(
        split === 'heldout_style',
      );
      const generatedSplit = splitForSongId(v2SongId('generated', seed));
      expect(styleForSeed(seed).name === HELDOUT_STYLE).toBe(generatedSplit === 'heldout_style');
    }
    expect(counts.heldout_style).toBeGreaterThan(60);
    expect(counts.train).toBeGreaterThan(1000);
    expect(counts.test).toBeGreaterThan(100);
  });

  it('refuses a held-out-timbre twin of a song that is not a test song', async () => {
    await expect(generateV2Song(copyDir, 'mma', mmaTrain, options, true)).rejects.toThrow(/not a test song/);
  });
});

describe('corpus v2 timbres', () => {
  it('never draws the held-out SoundFont for a training song', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 5000; i++) {
      const timbre = drawStemTimbre(rng, TRAINING_SOUNDFONTS, i % 2 === 0);
      expect(isHeldOutSoundFont(timbre.soundfont.path)).toBe(false);
    }
    expect(() => checkTrainingPool([...TEST_SOUNDFONTS, HELD_OUT_SOUNDFONT])).toThrow(/held-out/);
    expect(
      new Set(TRAINING_SOUNDFONTS.filter((font) => font.melodicWeight > 0).map((font) => font.path)).size,
    ).toBeGreaterThanOrEqual(3);
  });

  it('renders training songs without the held-out SoundFont and twins only with it', () => {
    for (const songId of listSongs(corpusDir)) {
      const meta = readSongMeta(corpusDir, songId);
      const fonts = meta.stems.map((stem) => stem.timbre!.soundfont);
      if (meta.split === 'heldout_timbre') expect(new Set(fonts)).toEqual(new Set([HELD_OUT_SOUNDFONT.name]));
      else
        expect(
          fonts.some((font) => isHeldOutSoundFont(font)),
          songId,
        ).toBe(false);
    }
  });

  it('makes the twin the same composition as its test song', () => {
    const song = readSongMeta(corpusDir, v2SongId('mma', mmaTest));
    const twin = readSongMeta(corpusDir, `${v2SongId('mma', mmaTest)}-timgm`);
    expect(twin.twinOf).toBe(song.songId);
    expect(twin.chords).toEqual(song.chords);
    expect(twin.mma).toEqual(song.mma);
    expect(twin.stems.map((stem) => [stem.name, stem.noteCount])).toEqual(
      song.stems
        .filter((stem) => twin.stems.some((t) => t.name === stem.name))
        .map((stem) => [stem.name, stem.noteCount]),
    );
  });
});

describe('corpus v2 songs', () => {
  it("writes an MMA song from musicians' grooves with several labelled stems", () => {
    const meta = readSongMeta(corpusDir, v2SongId('mma', mmaTrain));
    expect(meta.source).toBe('mma');
    expect(meta.mma!.family).toBe(familyForSeed(mmaTrain, families).id);
    expect(meta.stems.length).toBeGreaterThanOrEqual(2);
    expect(meta.durationSeconds).toBeGreaterThanOrEqual(SHORT[0] - 4);
    const plan = planMmaSong(mmaTrain, families, SHORT);
    expect(plan.text).toMatch(/^RndSeed \d+$/m);
    expect(plan.grooves).toHaveLength(plan.plan.bars);
  });

  it('is deterministic: the same seed gives byte-identical FLAC stems, meta.json and features', () => {
    const id = v2SongId('mma', mmaTrain);
    const a = songDir(corpusDir, id);
    const b = songDir(copyDir, id);
    expect(readdirSync(a).sort()).toEqual(readdirSync(b).sort());
    for (const file of readdirSync(a))
      expect(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file).toBe(true);
    const features = (dir: string) => readFileSync(join(dir, 'features', frontEnd.key, `${id}.feat`));
    expect(features(corpusDir).equals(features(copyDir))).toBe(true);
  });

  it('stores stems whose gains sum to the stored mix (evaluation splits) and forms the mix otherwise', () => {
    for (const songId of listSongs(corpusDir)) {
      const { meta, stems } = loadSong(corpusDir, songId);
      const mix = loadMix(corpusDir, songId);
      expect(Boolean(meta.mix)).toBe(meta.split !== 'train');
      let worst = 0;
      for (let i = 0; i < mix.length; i++) {
        let sum = 0;
        for (const stem of meta.stems) sum += stem.gain * stems.get(stem.name)![i];
        worst = Math.max(worst, Math.abs(sum - mix[i]));
      }
      expect(worst, songId).toBeLessThanOrEqual(1 / 32768);
    }
  });
});

describe('feature cache and cached sampler', () => {
  it('keys the cache by every feature-defining field of the front end, not by normalisation', () => {
    expect(frontEndKey({ ...DEFAULT_FRONT_END, normMean: -3, normStd: 2 })).toBe(
      frontEndKey(DEFAULT_FRONT_END),
    );
    expect(frontEndKey({ ...DEFAULT_FRONT_END, nMels: 64 })).not.toBe(frontEndKey(DEFAULT_FRONT_END));
    // A config without a kind (manifests before the CQT) names the same features as log-mel.
    const { kind: _kind, ...kindless } = DEFAULT_FRONT_END;
    expect(frontEndKey(kindless as typeof DEFAULT_FRONT_END)).toBe(frontEndKey(DEFAULT_FRONT_END));
    expect(frontEndKey(DEFAULT_FRONT_END)).toBe('log-mel-33a85fdba9c2');
  });

  it('caches the CQT front end too: its un-normalised ln(power + ε) rows, keyed apart from the log-mel', () => {
    const cqt = cacheableFrontEnd({ ...DEFAULT_CQT_FRONT_END, normMean: -12, normStd: 2 });
    expect(cqt.key.startsWith('cqt-')).toBe(true);
    expect(cqt.key).not.toBe(frontEndKey(DEFAULT_FRONT_END));
    const samples = Float32Array.from(
      { length: 16_000 },
      (_, t) => 0.5 * Math.sin((2 * Math.PI * 110 * t) / 16_000),
    );
    const frames = cqt.frameCount(samples.length);
    const cached = new Float32Array(cqt.bins * frames);
    cqt.computeInto(samples, cached);
    const direct = createFrontEnd({ ...DEFAULT_CQT_FRONT_END, normMean: 0, normStd: 1 }).compute(samples);
    expect(cqt.bins).toBe(direct.nBins);
    expect(cached).toEqual(direct.data);
  });

  it('caches train songs only among these, and their cached stems match the log-mel of the stored audio', () => {
    for (const songId of listSongs(corpusDir)) {
      const split = splitForSongId(songId)!;
      if (!hasFeatureCache(split)) continue;
      const cached = readSongFeatures(corpusDir, frontEnd, songId);
      const { stems } = loadSong(corpusDir, songId);
      const exact = new LogMelSpectrogram(DEFAULT_FRONT_END).compute(stems.get(cached.stems[0].name)!);
      let worst = 0;
      const floor = Math.log(DEFAULT_FRONT_END.logEpsilon);
      for (let i = 0; i < exact.data.length; i++) {
        const value = floor + cached.stems[0].codes[i] * 0.1;
        worst = Math.max(worst, Math.abs(Math.max(floor, Math.min(value, exact.data[i])) - value));
      }
      expect(worst).toBeLessThanOrEqual(0.05 + 1e-6);
    }
    expect(
      readdirSync(join(corpusDir, 'features', frontEnd.key)).filter((f) => f.endsWith('.feat')).length,
    ).toBe(2);
  });

  it('forms target features equal to the log-mel of the target stem at its drawn gain', () => {
    const sampler = new CachedExampleSampler({ corpusDir, split: 'train', seed: 3 });
    const batch = sampler.nextBatch(4);
    const per = DEFAULT_FRONT_END.nMels * DEFAULT_FRONT_END.chunkFrames;
    expect(batch.context).toHaveLength(4 * per);
    expect(batch.songIds.every((id) => splitForSongId(id) === 'train')).toBe(true);
    // Target features equal the exact log-mel of the target stem at the drawn gain (± quantisation).
    const spectrogram = new LogMelSpectrogram(DEFAULT_FRONT_END);
    const { meta, stems } = loadSong(corpusDir, batch.songIds[0]);
    const stem = stems.get(batch.targetStems[0])!;
    const start = batch.startSamples[0];
    const crop = stem.subarray(start, start + 128_000);
    const exact = spectrogram.compute(crop).data;
    const cached = batch.target.subarray(0, per);
    // The drawn gain is unknown here; compare after removing the mean offset in loud bins.
    let offset = 0;
    let count = 0;
    for (let i = 0; i < per; i++) {
      if (exact[i] > -5 && i % 800 > 0 && i % 800 < 799) {
        offset += cached[i] - exact[i];
        count++;
      }
    }
    offset /= count;
    let error = 0;
    for (let i = 0; i < per; i++) {
      if (exact[i] > -5 && i % 800 > 0 && i % 800 < 799) error += Math.abs(cached[i] - exact[i] - offset);
    }
    expect(meta.split).toBe('train');
    expect(error / count).toBeLessThan(0.06);
  });
});

describe('feature-domain mixing', () => {
  it('forms the context as ln(Σ g² E + ε) of the other sounding stems (table logarithm within 1e-3)', () => {
    const sampler = new CachedExampleSampler({
      corpusDir,
      split: 'train',
      seed: 4,
      gainRangeDb: 0,
      fullContextProbability: 1,
    });
    const batch = sampler.nextBatch(6);
    const per = DEFAULT_FRONT_END.nMels * DEFAULT_FRONT_END.chunkFrames;
    const epsilon = DEFAULT_FRONT_END.logEpsilon;
    for (let b = 0; b < 6; b++) {
      const song = readSongFeatures(corpusDir, frontEnd, batch.songIds[b]);
      const startFrame = batch.startSamples[b] / DEFAULT_FRONT_END.hopLength;
      const sounding = song.stems.filter((stem) => {
        let sum = 0;
        for (let f = startFrame; f < startFrame + 800; f++) sum += stem.hopEnergy[f];
        return 10 * Math.log10(sum / 800 + 1e-20) >= -50;
      });
      const context = sounding.filter((stem) => stem.name !== batch.targetStems[b]);
      let worst = 0;
      for (let bin = 0; bin < DEFAULT_FRONT_END.nMels; bin++) {
        for (let f = 0; f < 800; f++) {
          let energy = epsilon;
          for (const stem of context) {
            const code = stem.codes[bin * stem.frames + startFrame + f];
            energy += stem.gain ** 2 * (Math.exp(Math.log(epsilon) + code * 0.1) - epsilon);
          }
          worst = Math.max(worst, Math.abs(Math.log(energy) - batch.context[b * per + bin * 800 + f]));
        }
      }
      expect(context.length).toBeGreaterThan(0);
      expect(worst).toBeLessThan(1e-3);
    }
  });

  it('stays within a fraction of a nat of the exact mix (phase ignored, 8-bit codes)', () => {
    const train = listSongs(corpusDir, 'train');
    const report = measureMixError(corpusDir, train, DEFAULT_FRONT_END, 3, 5);
    // Measured over 20 crops of the real corpus: 0.21 nats mean over active bins.
    expect(report.meanAbsActiveNats).toBeGreaterThan(0.01);
    expect(report.meanAbsActiveNats).toBeLessThan(0.4);
  });

  it('yields the same batches from the prefetching worker as on the calling thread', async () => {
    const direct = new CachedExampleSampler({ corpusDir, split: 'train', seed: 9 }).nextBatch(3);
    const prefetcher = new PrefetchingSampler({
      corpusDir,
      split: 'train',
      seed: 9,
      batchSize: 3,
      featureCache: true,
    });
    try {
      const batch = await prefetcher.nextBatch();
      expect(batch.songIds).toEqual(direct.songIds);
      expect(Buffer.from(batch.context.buffer).equals(Buffer.from(direct.context.buffer))).toBe(true);
    } finally {
      await prefetcher.close();
    }
  });
});

describe('corpus v2 CLI', () => {
  it('generates with progress, then resumes without redoing finished songs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stemdex-corpus-v2-cli-'));
    try {
      const cli = join(import.meta.dirname, '../../../training/data/cli.ts');
      const args = ['--import', 'tsx', cli, '--out', dir, '--mma', '1', '--generated', '1', '--pool', 'test'];
      args.push('--no-twins', '--min-seconds', '8', '--max-seconds', '12');
      const first = await promisify(execFile)(process.execPath, args);
      expect(first.stdout).toContain('2 songs wanted');
      expect(first.stdout).toMatch(/\[2\/2\] .* songs\/min, [\d.]+ MB\/song/);
      // An interrupted run's temp folder goes; one of a live run (this test's process) stays.
      const dead = join(dir, 'songs', '.tmp-gen-000005-999999999');
      const live = join(dir, 'songs', `.tmp-gen-000006-${process.pid}`);
      mkdirSync(dead);
      mkdirSync(live);
      const second = await promisify(execFile)(process.execPath, args);
      expect(second.stdout).toContain('2 complete, 0 to generate');
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
      const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
      expect(index.totals.songs).toBe(2);
      expect(index.bySource).toEqual({ mma: 1, generated: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('Standard MIDI File reader', () => {
  it('reads back what the project writes (notes, programs, controllers, pitch bends)', () => {
    const events: MidiEvent[] = [
      { kind: 'program', time: 0, channel: 2, program: 33 },
      { kind: 'control', time: 0.5, channel: 2, controller: 7, value: 90 },
      { kind: 'note', time: 1, duration: 0.5, channel: 2, pitch: 40, velocity: 100 },
      { kind: 'pitchBend', time: 1.2, channel: 2, value: 9000 },
      { kind: 'note', time: 2, duration: 1, channel: 9, pitch: 36, velocity: 80 },
    ];
    const read = readMidiFile(encodeMidiFile(events));
    expect(read.map((event) => event.kind)).toEqual(['program', 'control', 'note', 'pitchBend', 'note']);
    const note = read.find((event) => event.kind === 'note' && event.channel === 9);
    expect(note).toMatchObject({ pitch: 36, velocity: 80 });
    expect(note!.time).toBeCloseTo(2, 2);
    expect((note as { duration: number }).duration).toBeCloseTo(1, 2);
  });
});
