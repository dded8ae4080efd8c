import { resample } from '../../src/audio/resample.js';
import { isInstrument } from '../../src/instruments.js';
import { listSongs, loadSong, type SongMeta, type Split } from '../data/corpus.js';
import type { EvalSong, SongSource } from './types.js';

/** Modes with a minor third count as minor for the 24-class key probe (dorian joins minor, mixolydian major). */
const MINOR_THIRD_MODES: ReadonlySet<string> = new Set(['minor', 'dorian', 'aeolian', 'phrygian', 'locrian']);

/** 24 key classes: tonic pitch class × {major, minor}, by the mode's third. */
export function keyClass(key: SongMeta['key']): number {
  return (((key.tonicPitchClass % 12) + 12) % 12) * 2 + (MINOR_THIRD_MODES.has(key.mode) ? 1 : 0);
}

/**
 * A corpus split as songs for the protocol. With `maxSongs`, songs are taken evenly spaced over
 * the sorted ids so a subset still spans the split. Stems come back as they sound in the mix
 * (gain applied), at `sampleRate`.
 */
export function corpusSongSource(
  corpusDir: string,
  split: Split,
  sampleRate: number,
  maxSongs?: number,
): SongSource {
  const all = listSongs(corpusDir, split);
  const ids = maxSongs !== undefined && maxSongs < all.length ? evenlySpaced(all, maxSongs) : all;
  return {
    ids,
    load(id: string): EvalSong {
      const { meta, stems } = loadSong(corpusDir, id);
      return {
        id,
        keyClass: keyClass(meta.key),
        tempo: meta.tempo,
        stems: meta.stems.map((stem) => {
          if (!isInstrument(stem.instrument)) throw new Error(`${id}/${stem.name}: unknown instrument`);
          const stored = stems.get(stem.name)!;
          const signal =
            meta.sampleRate === sampleRate ? stored : resample(stored, meta.sampleRate, sampleRate);
          return { name: stem.name, instrument: stem.instrument, signal: scaled(signal, stem.gain) };
        }),
      };
    },
  };
}

function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

function scaled(signal: Float32Array, gain: number): Float32Array {
  const out = new Float32Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = signal[i] * gain;
  return out;
}
