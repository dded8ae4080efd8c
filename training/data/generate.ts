import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSilent } from '../../src/audio/chunk.js';
import { meanSquare } from '../../src/audio/level.js';
import { encodeWav } from '../../src/audio/wav.js';
import { instrumentId } from '../../src/instruments.js';
import {
  CORPUS_FORMAT_VERSION,
  GENERATOR_VERSION,
  type SongMeta,
  type StemMeta,
  songIdForSeed,
  splitForSeed,
} from './corpus.js';
import { GAIN_SPREAD_DB, mixBelowPeak, peakOf, quantise16, SILENT_STEM_DB, STEM_PEAK } from './mixdown.js';
import { DRUM_CHANNEL, programName } from './programs.js';
import { publishSong } from './publish-song.js';
import { Rng } from './random.js';
import { renderStems } from './render.js';
import { composeSong, type Role, type Score } from './score.js';
import { planMeta } from './song.js';
import type { StylePreset } from './styles.js';

/**
 * One song from seed to disk: compose, render every stem, normalise, mix, and write the stems,
 * the mix and meta.json into a temporary folder that is renamed into place when complete.
 */

export interface GenerateOptions {
  sampleRate?: number;
  durationRange?: readonly [number, number];
  soundfont?: string;
}

function rmsDb(samples: Float32Array): number {
  return 20 * Math.log10(Math.sqrt(meanSquare(samples)) + 1e-12);
}

/** `samples × gain` as float32: the stored v1 stems are quantised from this rounding (see quantise16). */
function scaled(samples: Float32Array, gain: number): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] * gain;
  return out;
}

function levelDb(style: StylePreset, role: Role): number {
  return role === 'drums' ? style.drums.levelDb : style[role].levelDb;
}

function buildMeta(
  score: Score,
  songId: string,
  stems: StemMeta[],
  sampleRate: number,
  renderer: SongMeta['renderer'],
): SongMeta {
  const { plan } = score;
  const { sections, chords, ...music } = planMeta(plan, score.durationSeconds);
  return {
    formatVersion: CORPUS_FORMAT_VERSION,
    generatorVersion: GENERATOR_VERSION,
    songId,
    seed: plan.seed,
    split: splitForSeed(plan.seed),
    ...music,
    sampleRate,
    sections,
    chords,
    stems,
    mix: { file: 'mix.wav' },
    renderer,
  };
}

export interface GeneratedSong {
  songId: string;
  meta: SongMeta;
  /** False when the song was already complete on disk and nothing was done. */
  created: boolean;
}

export async function generateSong(
  corpusDir: string,
  seed: number,
  options: GenerateOptions = {},
): Promise<GeneratedSong> {
  const sampleRate = options.sampleRate ?? 16_000;
  const songId = songIdForSeed(seed);
  const score = composeSong(seed, { durationRange: options.durationRange });
  const rendered = await renderStems(score, { sampleRate, soundfont: options.soundfont });
  const rng = new Rng(seed).fork('mix');

  const kept = score.stems.filter((stem) => !isSilent(rendered.stems.get(stem.name)!, SILENT_STEM_DB));
  const stored = kept.map((stem) => {
    const signal = rendered.stems.get(stem.name)!;
    return quantise16(scaled(signal, STEM_PEAK / peakOf(signal)));
  });
  const { gains, mix } = mixBelowPeak(
    stored,
    kept.map(
      (stem) =>
        10 ** ((levelDb(score.plan.style, stem.name) + rng.uniform(-GAIN_SPREAD_DB, GAIN_SPREAD_DB)) / 20),
    ),
  );

  const stems: StemMeta[] = kept.map((stem, index) => ({
    name: stem.name,
    file: `${stem.name}.wav`,
    instrument: stem.instrument,
    instrumentId: instrumentId(stem.instrument),
    program: stem.program,
    programName: stem.channel === DRUM_CHANNEL ? `drum kit ${stem.program}` : programName(stem.program),
    channel: stem.channel,
    gain: gains[index],
    noteCount: stem.notes.length,
    rmsDb: Number(rmsDb(stored[index]).toFixed(2)),
  }));
  const meta = buildMeta(score, songId, stems, sampleRate, rendered.renderer);

  const created = await publishSong(corpusDir, songId, async (tempDir) => {
    for (const [index, stem] of stems.entries()) {
      await writeFile(join(tempDir, stem.file), encodeWav([stored[index]], sampleRate, { bitDepth: 16 }));
    }
    await writeFile(join(tempDir, 'mix.wav'), encodeWav([mix], sampleRate, { bitDepth: 16 }));
    await writeFile(join(tempDir, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
  });
  return { songId, meta, created };
}

export function describeSong(meta: SongMeta): string {
  const stems = meta.stems.map((stem) => `${stem.name}:${stem.instrument}(${stem.program})`).join(' ');
  return `${meta.songId} ${meta.style} ${meta.key.tonic} ${meta.key.mode} ${meta.tempo}bpm ${meta.meter} ${meta.bars} bars ${stems}`;
}
