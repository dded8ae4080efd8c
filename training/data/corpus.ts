import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseWav } from '../../src/audio/wav.js';
import { INSTRUMENTS } from '../../src/instruments.js';
import { hashSeed } from './random.js';
import { styleForSeed } from './song.js';
import { HELDOUT_STYLE } from './styles.js';

/**
 * The corpus on disk and its splits.
 *
 * Layout: `<corpusDir>/songs/<songId>/meta.json` beside one 16-bit mono WAV per stem and
 * `mix.wav`. A song directory exists only once complete (it is written elsewhere and renamed), so
 * listing directories is listing finished songs.
 */

export const SPLITS = ['train', 'validation', 'test', 'heldout_style'] as const;
export type Split = (typeof SPLITS)[number];

export const CORPUS_FORMAT_VERSION = 1;

/**
 * Version of the song generator and renderer settings. A seed reproduces its song only under the
 * same version; bump it whenever generated audio would change, and `npm run corpus` regenerates
 * songs written by another version instead of mixing two generators in one corpus.
 */
export const GENERATOR_VERSION = 3;

/** Default corpus folder: `$STEMDEX_CACHE_DIR/corpus`, else `<repo>/.cache/corpus`. */
export function defaultCorpusDir(): string {
  const cache = process.env.STEMDEX_CACHE_DIR ?? resolve(import.meta.dirname, '../../.cache');
  return join(cache, 'corpus');
}

export function songIdForSeed(seed: number): string {
  return `song-${String(seed).padStart(6, '0')}`;
}

/**
 * The split of a song, a pure function of its seed: songs of the held-out style always form
 * `heldout_style`; the others are hashed 80 / 10 / 10 into train / validation / test. A seed is
 * one song, so splits never share a seed.
 */
export function splitForSeed(seed: number): Split {
  if (styleForSeed(seed).name === HELDOUT_STYLE) return 'heldout_style';
  const bucket = hashSeed(seed, 0x5eed) % 100;
  return bucket < 80 ? 'train' : bucket < 90 ? 'validation' : 'test';
}

export const StemMetaSchema = z.object({
  name: z.string().min(1),
  file: z.string().min(1),
  instrument: z.enum(INSTRUMENTS),
  instrumentId: z.number().int().nonnegative(),
  program: z.number().int().min(0).max(127),
  programName: z.string(),
  channel: z.number().int().min(0).max(15),
  /** Linear gain this stem has in `mix.wav`. */
  gain: z.number().nonnegative(),
  noteCount: z.number().int().nonnegative(),
  rmsDb: z.number(),
});

export const SongMetaSchema = z.object({
  formatVersion: z.literal(CORPUS_FORMAT_VERSION),
  generatorVersion: z.number().int().positive(),
  songId: z.string(),
  seed: z.number().int().nonnegative(),
  split: z.enum(SPLITS),
  style: z.string(),
  key: z.object({ tonic: z.string(), tonicPitchClass: z.number().int(), mode: z.string() }),
  tempo: z.number().positive(),
  meter: z.string(),
  swing: z.number(),
  bars: z.number().int().positive(),
  barSeconds: z.number().positive(),
  durationSeconds: z.number().positive(),
  sampleRate: z.number().int().positive(),
  sections: z.array(z.object({ name: z.string(), startBar: z.number().int(), bars: z.number().int() })),
  /** One chord per bar. */
  chords: z.array(z.object({ bar: z.number().int(), symbol: z.string(), rootPitchClass: z.number().int() })),
  stems: z.array(StemMetaSchema).min(1),
  mix: z.object({ file: z.string() }),
  renderer: z.object({
    name: z.string(),
    version: z.string(),
    soundfont: z.string(),
    sampleRate: z.number(),
  }),
});

export type StemMeta = z.infer<typeof StemMetaSchema>;
export type SongMeta = z.infer<typeof SongMetaSchema>;

export class CorpusError extends Error {
  readonly code: 'CORPUS_NOT_FOUND' | 'SONG_NOT_FOUND' | 'SONG_INVALID';
  constructor(code: CorpusError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export function songsDir(corpusDir: string): string {
  return join(corpusDir, 'songs');
}

export function songDir(corpusDir: string, songId: string): string {
  return join(songsDir(corpusDir), songId);
}

export function readSongMeta(corpusDir: string, songId: string): SongMeta {
  const path = join(songDir(corpusDir, songId), 'meta.json');
  if (!existsSync(path)) throw new CorpusError('SONG_NOT_FOUND', `no song ${songId} in ${corpusDir}`);
  const parsed = SongMetaSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new CorpusError('SONG_INVALID', `${path}: ${parsed.error.message}`);
  return parsed.data;
}

/** True when the song is on disk, complete, and written by the current generator. */
export function isSongCurrent(corpusDir: string, songId: string): boolean {
  try {
    return readSongMeta(corpusDir, songId).generatorVersion === GENERATOR_VERSION;
  } catch (error) {
    if (error instanceof CorpusError) return false;
    throw error;
  }
}

/** Ids of the complete songs of a split (all splits without one), sorted. */
export function listSongs(corpusDir: string, split?: Split): string[] {
  const dir = songsDir(corpusDir);
  if (!existsSync(dir))
    throw new CorpusError('CORPUS_NOT_FOUND', `no corpus at ${corpusDir} (run npm run corpus)`);
  const ids = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('song-'))
    .map((entry) => entry.name)
    .sort();
  if (!split) return ids;
  return ids.filter((id) => splitForSeed(Number.parseInt(id.slice('song-'.length), 10)) === split);
}

function readMonoWav(path: string): Float32Array {
  const audio = parseWav(readFileSync(path));
  return audio.channels[0];
}

export interface LoadedSong {
  meta: SongMeta;
  /** Stem name -> mono samples at `meta.sampleRate`. */
  stems: Map<string, Float32Array>;
}

export function loadSong(corpusDir: string, songId: string): LoadedSong {
  const meta = readSongMeta(corpusDir, songId);
  const dir = songDir(corpusDir, songId);
  const stems = new Map<string, Float32Array>();
  for (const stem of meta.stems) stems.set(stem.name, readMonoWav(join(dir, stem.file)));
  return { meta, stems };
}

export function loadMix(corpusDir: string, songId: string): Float32Array {
  const meta = readSongMeta(corpusDir, songId);
  return readMonoWav(join(songDir(corpusDir, songId), meta.mix.file));
}
