import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { resample } from '../../src/audio/resample.js';
import { isInstrument } from '../../src/instruments.js';
import {
  CorpusError,
  readMonoAudio,
  type SongMeta,
  SongMetaSchema,
  songDir,
  songsDir,
} from '../data/corpus.js';
import type { EvalSong, SongSource } from './types.js';

/** Modes with a minor third count as minor for the 24-class key probe (dorian joins minor, mixolydian major). */
const MINOR_THIRD_MODES: ReadonlySet<string> = new Set(['minor', 'dorian', 'aeolian', 'phrygian', 'locrian']);

/** 24 key classes: tonic pitch class × {major, minor}, by the mode's third. */
export function keyClass(key: SongMeta['key']): number {
  return (((key.tonicPitchClass % 12) + 12) % 12) * 2 + (MINOR_THIRD_MODES.has(key.mode) ? 1 : 0);
}

/**
 * The song metadata as the evaluation reads it: the corpus schema, except that the split may be
 * any name, so splits written by a newer generator (e.g. `heldout_timbre`) are evaluated too.
 */
const EvalSongMetaSchema = SongMetaSchema.extend({ split: z.string().min(1) });
type EvalSongMeta = z.infer<typeof EvalSongMetaSchema>;

function readMeta(corpusDir: string, id: string): EvalSongMeta {
  const path = join(songDir(corpusDir, id), 'meta.json');
  const parsed = EvalSongMetaSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new CorpusError('SONG_INVALID', `${path}: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Ids of the complete songs whose `meta.json` names `split`, sorted. The split is read from the
 * metadata rather than recomputed from the seed, so songs of any generator's splits are found.
 * A missing corpus folder is an empty list: the caller reports the split as absent.
 */
export function listSplitSongs(corpusDir: string, split: string): string[] {
  const dir = songsDir(corpusDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .filter((id) => {
      const path = join(dir, id, 'meta.json');
      if (!existsSync(path)) return false;
      return (JSON.parse(readFileSync(path, 'utf8')) as { split?: unknown }).split === split;
    })
    .sort();
}

/** `count` items evenly spaced over `items` (all of them when there are no more than `count`). */
export function evenlySpaced<T>(items: readonly T[], count?: number): T[] {
  if (count === undefined || count >= items.length) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

/**
 * A corpus split as songs for the protocols. With `maxSongs`, songs are taken evenly spaced over
 * the sorted ids so a subset still spans the split. Stems come back as they sound in the mix
 * (gain applied), at `sampleRate`.
 */
export function corpusSongSource(
  corpusDir: string,
  split: string,
  sampleRate: number,
  maxSongs?: number,
): SongSource {
  const ids = evenlySpaced(listSplitSongs(corpusDir, split), maxSongs);
  return {
    ids,
    load(id: string): EvalSong {
      const meta = readMeta(corpusDir, id);
      const dir = songDir(corpusDir, id);
      return {
        id,
        keyClass: keyClass(meta.key),
        tempo: meta.tempo,
        barSeconds: meta.barSeconds,
        stems: meta.stems.map((stem) => {
          if (!isInstrument(stem.instrument)) throw new Error(`${id}/${stem.name}: unknown instrument`);
          // v1 stems are WAV, v2 stems FLAC: the corpus' own reader takes both.
          const stored = readMonoAudio(join(dir, stem.file));
          const signal =
            meta.sampleRate === sampleRate ? stored : resample(stored, meta.sampleRate, sampleRate);
          return { name: stem.name, instrument: stem.instrument, signal: scaled(signal, stem.gain) };
        }),
      };
    },
  };
}

function scaled(signal: Float32Array, gain: number): Float32Array {
  const out = new Float32Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = signal[i] * gain;
  return out;
}
