import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseWav } from '../../src/audio/wav.js';
import { INSTRUMENTS } from '../../src/instruments.js';
import { mmaSplitForSeed } from './mma-song.js';
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

export const SPLITS = ['train', 'validation', 'test', 'heldout_style', 'heldout_timbre'] as const;
export type Split = (typeof SPLITS)[number];

/** Format of corpus v1 (WAV, one SoundFont, the generated source only). */
export const CORPUS_FORMAT_VERSION = 1;
/** Format of corpus v2 (FLAC, several SoundFonts, generated and MMA sources; see corpus-v2.ts). */
export const CORPUS_V2_FORMAT_VERSION = 2;

/**
 * Version of the song generator and renderer settings. A seed reproduces its song only under the
 * same version; bump it whenever generated audio would change, and `npm run corpus` regenerates
 * songs written by another version instead of mixing two generators in one corpus.
 */
export const GENERATOR_VERSION = 3;

/** Version of the v2 song sources and render settings (the v1 rule applies: bump on any audio change). */
export const GENERATOR_V2_VERSION = 1;

function cacheDir(): string {
  return process.env.STEMDEX_CACHE_DIR ?? resolve(import.meta.dirname, '../../.cache');
}

/** Default corpus folder: `$STEMDEX_CACHE_DIR/corpus`, else `<repo>/.cache/corpus`. */
export function defaultCorpusDir(): string {
  return join(cacheDir(), 'corpus');
}

/** Default corpus v2 folder: `$STEMDEX_CORPUS_V2_DIR`, else `$STEMDEX_CACHE_DIR/corpus-v2`. */
export function defaultCorpusV2Dir(): string {
  return process.env.STEMDEX_CORPUS_V2_DIR ?? join(cacheDir(), 'corpus-v2');
}

/** Suffix of a held-out-timbre twin: the test song `<id>` re-rendered with the held-out SoundFont. */
export const TIMBRE_TWIN_SUFFIX = '-timgm';

const SONG_ID = /^(song|gen|mma)-(\d{6,})(-timgm)?$/;

/**
 * The split of any song id, a pure function of the id: `song-N` (v1) and `gen-N` (v2, the
 * generated source) follow `splitForSeed`, `mma-N` follows `mmaSplitForSeed`, and a `-timgm` twin
 * is `heldout_timbre`. Undefined for a name that is not a song id.
 */
export function splitForSongId(songId: string): Split | undefined {
  const match = SONG_ID.exec(songId);
  if (!match) return undefined;
  if (match[3]) return 'heldout_timbre';
  const seed = Number.parseInt(match[2], 10);
  return match[1] === 'mma' ? mmaSplitForSeed(seed) : splitForSeed(seed);
}

/** The generator version a song id is current under (v1 ids: GENERATOR_VERSION; v2: GENERATOR_V2_VERSION). */
export function currentGeneratorVersion(songId: string): number {
  return songId.startsWith('song-') ? GENERATOR_VERSION : GENERATOR_V2_VERSION;
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
  /** v2: the MIDI channels merged into this stem (MMA tracks with the same label). */
  channels: z.array(z.number().int().min(0).max(15)).optional(),
  /** v2: how this stem was rendered. */
  timbre: z
    .object({
      soundfont: z.string(),
      velocityScale: z.number(),
      reverbSend: z.number().int(),
      chorusSend: z.number().int(),
      tiltDb: z.number(),
    })
    .optional(),
});

export const SongMetaSchema = z.object({
  formatVersion: z.union([z.literal(CORPUS_FORMAT_VERSION), z.literal(CORPUS_V2_FORMAT_VERSION)]),
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
  /** The stored mix; absent in v2 training songs, whose mix `loadMix` forms from the stems. */
  mix: z.object({ file: z.string() }).optional(),
  renderer: z.object({
    name: z.string(),
    version: z.string(),
    /** v1: the SoundFont of every stem; v2: `per-stem` (see each stem's timbre). */
    soundfont: z.string(),
    sampleRate: z.number(),
  }),
  /** v2: which source wrote the song. */
  source: z.enum(['generated', 'mma']).optional(),
  /** v2 MMA songs: the groove family (style file) and the grooves played, in order of first use. */
  mma: z.object({ family: z.string(), grooves: z.array(z.string()), version: z.string() }).optional(),
  /** v2: the song-wide reverb and chorus parameters of fluidsynth. */
  effects: z.record(z.string(), z.number()).optional(),
  /** v2 held-out-timbre twins: the test song this one re-renders. */
  twinOf: z.string().optional(),
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
    return readSongMeta(corpusDir, songId).generatorVersion === currentGeneratorVersion(songId);
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
    .filter((entry) => entry.isDirectory() && splitForSongId(entry.name) !== undefined)
    .map((entry) => entry.name)
    .sort();
  if (!split) return ids;
  return ids.filter((id) => splitForSongId(id) === split);
}

/**
 * A stored stem or mix as mono float samples: WAV (v1) parsed in process, FLAC (v2) decoded by
 * ffmpeg (synchronously, so `loadSong` keeps its signature; ~30 ms a file).
 */
export function readMonoAudio(path: string): Float32Array {
  if (!path.endsWith('.flac')) return parseWav(readFileSync(path)).channels[0];
  let bytes: Buffer;
  try {
    bytes = execFileSync('ffmpeg', ['-loglevel', 'error', '-i', path, '-f', 'f32le', '-ac', '1', '-'], {
      maxBuffer: 1 << 30,
    });
  } catch (error) {
    throw new CorpusError('SONG_INVALID', `cannot decode ${path}: ${(error as Error).message}`);
  }
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
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
  for (const stem of meta.stems) stems.set(stem.name, readMonoAudio(join(dir, stem.file)));
  return { meta, stems };
}

/** The song's mix: the stored file, or Σ gain · stem when the song stores none (v2 training songs). */
export function loadMix(corpusDir: string, songId: string): Float32Array {
  const meta = readSongMeta(corpusDir, songId);
  if (meta.mix) return readMonoAudio(join(songDir(corpusDir, songId), meta.mix.file));
  const { stems } = loadSong(corpusDir, songId);
  const mix = new Float32Array(Math.max(...[...stems.values()].map((stem) => stem.length)));
  for (const stem of meta.stems) {
    const samples = stems.get(stem.name)!;
    for (let i = 0; i < samples.length; i++) mix[i] += stem.gain * samples[i];
  }
  return mix;
}
