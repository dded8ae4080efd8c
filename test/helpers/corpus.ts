import { join } from 'node:path';
import type { Instrument } from '../../src/instruments.js';
import { loadSong, type Split, splitForSeed } from '../../training/data/corpus.js';
import { generateSong } from '../../training/data/generate.js';
import { wavBytes } from './songs.js';

/**
 * Songs from the real corpus generator (MIDI composition rendered with fluidsynth), the kind of
 * audio the model is trained on. Slower than `songs.ts` (about 1.5 s a song), so used where model
 * quality is asserted.
 */

export interface CorpusStem {
  name: string;
  instrument: Instrument;
  /** Linear gain of this stem in the song's mix. */
  gain: number;
  samples: Float32Array;
}

export interface CorpusSong {
  songId: string;
  stems: CorpusStem[];
}

/** The first `count` seeds from `from` upward that fall in `split`: songs the model never trained on. */
export function seedsInSplit(count: number, split: Split, from = 900_000): number[] {
  const seeds: number[] = [];
  for (let seed = from; seeds.length < count; seed++) if (splitForSeed(seed) === split) seeds.push(seed);
  return seeds;
}

export async function corpusSongs(dir: string, seeds: number[], seconds: [number, number] = [10, 14]) {
  const songs: CorpusSong[] = [];
  for (const seed of seeds) {
    const { songId } = await generateSong(dir, seed, { durationRange: seconds });
    const loaded = loadSong(dir, songId);
    songs.push({
      songId,
      stems: loaded.meta.stems.map((stem) => ({
        name: stem.name,
        instrument: stem.instrument,
        gain: stem.gain,
        samples: loaded.stems.get(stem.name)!,
      })),
    });
  }
  return songs;
}

/** The song's mix without the named stem, at the song's own mix gains, as WAV bytes. */
export function mixWithout(song: CorpusSong, heldOut: string): Buffer {
  const others = song.stems.filter((stem) => stem.name !== heldOut);
  const mix = new Float32Array(others[0].samples.length);
  for (const stem of others) for (let i = 0; i < mix.length; i++) mix[i] += stem.gain * stem.samples[i];
  return wavBytes(mix);
}

export const corpusDirIn = (root: string) => join(root, 'corpus');
