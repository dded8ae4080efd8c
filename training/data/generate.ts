import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSilent } from '../../src/audio/chunk.js';
import { meanSquare } from '../../src/audio/level.js';
import { encodeWav } from '../../src/audio/wav.js';
import { instrumentId } from '../../src/instruments.js';
import {
  CORPUS_FORMAT_VERSION,
  GENERATOR_VERSION,
  isSongCurrent,
  type SongMeta,
  type StemMeta,
  songDir,
  songIdForSeed,
  songsDir,
  splitForSeed,
} from './corpus.js';
import { DRUM_CHANNEL, programName } from './programs.js';
import { Rng } from './random.js';
import { renderStems } from './render.js';
import { composeSong, type Role, type Score } from './score.js';
import { barSeconds } from './song.js';
import type { StylePreset } from './styles.js';
import { PITCH_CLASS_NAMES } from './theory.js';

/**
 * One song from seed to disk: compose, render every stem, normalise, mix, and write the stems,
 * the mix and meta.json into a temporary folder that is renamed into place when complete.
 */

export interface GenerateOptions {
  sampleRate?: number;
  durationRange?: readonly [number, number];
  soundfont?: string;
}

/** Stems are stored peak-normalised to this level, so 16 bits are used fully. */
const STEM_PEAK = 0.89;
/** The mix's peak after gains are scaled down to avoid clipping. */
const MIX_PEAK = 0.89;
/** Per-song random variation of each stem's mix level, in dB. */
const GAIN_SPREAD_DB = 3;
/** A rendered stem quieter than this is dropped (a part whose notes all fell past the end). */
const SILENT_STEM_DB = -60;

const INT16_SCALE = 32768;

/** Rounds to the 16-bit grid exactly as the WAV writer does, so the mix is computed from what is stored. */
function quantise16(samples: Float32Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const q = Math.max(-INT16_SCALE, Math.min(INT16_SCALE - 1, Math.round(samples[i] * INT16_SCALE)));
    out[i] = q / INT16_SCALE;
  }
  return out;
}

function peakOf(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  return peak;
}

function rmsDb(samples: Float32Array): number {
  return 20 * Math.log10(Math.sqrt(meanSquare(samples)) + 1e-12);
}

function scaled(samples: Float32Array, gain: number): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] * gain;
  return out;
}

function levelDb(style: StylePreset, role: Role): number {
  return role === 'drums' ? style.drums.levelDb : style[role].levelDb;
}

function mixOf(stems: readonly Float32Array[], gains: readonly number[]): Float32Array {
  const mix = new Float32Array(stems[0].length);
  stems.forEach((stem, index) => {
    const gain = gains[index];
    for (let i = 0; i < mix.length; i++) mix[i] += gain * stem[i];
  });
  return mix;
}

function buildMeta(
  score: Score,
  songId: string,
  stems: StemMeta[],
  sampleRate: number,
  renderer: SongMeta['renderer'],
): SongMeta {
  const { plan } = score;
  return {
    formatVersion: CORPUS_FORMAT_VERSION,
    generatorVersion: GENERATOR_VERSION,
    songId,
    seed: plan.seed,
    split: splitForSeed(plan.seed),
    style: plan.style.name,
    key: { tonic: PITCH_CLASS_NAMES[plan.key.tonic], tonicPitchClass: plan.key.tonic, mode: plan.key.mode },
    tempo: plan.tempo,
    meter: `${plan.beatsPerBar}/4`,
    swing: Number(plan.swing.toFixed(3)),
    bars: plan.bars,
    barSeconds: barSeconds(plan),
    durationSeconds: score.durationSeconds,
    sampleRate,
    sections: plan.sections.map(({ name, startBar, bars }) => ({ name, startBar, bars })),
    chords: plan.chords.map((chord, bar) => ({ bar, symbol: chord.symbol, rootPitchClass: chord.root })),
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
  const finalDir = songDir(corpusDir, songId);
  const score = composeSong(seed, { durationRange: options.durationRange });
  const rendered = await renderStems(score, { sampleRate, soundfont: options.soundfont });
  const rng = new Rng(seed).fork('mix');

  const kept = score.stems.filter((stem) => !isSilent(rendered.stems.get(stem.name)!, SILENT_STEM_DB));
  const stored = kept.map((stem) => {
    const signal = rendered.stems.get(stem.name)!;
    return quantise16(scaled(signal, STEM_PEAK / peakOf(signal)));
  });
  let gains = kept.map(
    (stem) =>
      10 ** ((levelDb(score.plan.style, stem.name) + rng.uniform(-GAIN_SPREAD_DB, GAIN_SPREAD_DB)) / 20),
  );
  const peak = peakOf(mixOf(stored, gains));
  if (peak > MIX_PEAK) gains = gains.map((gain) => (gain * MIX_PEAK) / peak);
  const mix = mixOf(stored, gains);

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

  await mkdir(songsDir(corpusDir), { recursive: true });
  const tempDir = join(songsDir(corpusDir), `.tmp-${songId}-${process.pid}`);
  await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir);
  for (const [index, stem] of stems.entries()) {
    await writeFile(join(tempDir, stem.file), encodeWav([stored[index]], sampleRate, { bitDepth: 16 }));
  }
  await writeFile(join(tempDir, 'mix.wav'), encodeWav([mix], sampleRate, { bitDepth: 16 }));
  await writeFile(join(tempDir, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
  if (isSongCurrent(corpusDir, songId)) {
    // Another run finished the same song first; its copy is identical (same seed, same version).
    await rm(tempDir, { recursive: true, force: true });
    return { songId, meta, created: false };
  }
  // A song from an older generator version is replaced.
  if (existsSync(finalDir)) await rm(finalDir, { recursive: true, force: true });
  await rename(tempDir, finalDir);
  return { songId, meta, created: true };
}

export function describeSong(meta: SongMeta): string {
  const stems = meta.stems.map((stem) => `${stem.name}:${stem.instrument}(${stem.program})`).join(' ');
  return `${meta.songId} ${meta.style} ${meta.key.tonic} ${meta.key.mode} ${meta.tempo}bpm ${meta.meter} ${meta.bars} bars ${stems}`;
}
