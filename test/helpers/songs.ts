import { encodeWav } from '../../src/audio/wav.js';
import type { Instrument } from '../../src/instruments.js';
import { seededRandom } from '../../src/random.js';

/**
 * Multi-stem "songs" synthesised in code: each song has its own key, tempo and rhythm, and its
 * stems share them, so stems of one song belong together musically (the premise of stem
 * compatibility) while songs differ. Deterministic for a given seed; cheap enough for CI.
 */

export const SAMPLE_RATE = 16_000;

export interface Song {
  id: number;
  bpm: number;
  rootMidi: number;
  stems: Partial<Record<Instrument, Float32Array>>;
}

const midiHz = (note: number) => 440 * 2 ** ((note - 69) / 12);
const MINOR_PROGRESSIONS = [
  [0, 8, 3, 10],
  [0, 5, 8, 7],
  [0, 3, 5, 7],
];

export function makeSong(id: number, seconds: number, seed = 1): Song {
  const random = seededRandom(seed * 7919 + id);
  const bpm = 80 + Math.round(random() * 80);
  const rootMidi = 40 + Math.floor(random() * 12);
  const progression = MINOR_PROGRESSIONS[Math.floor(random() * MINOR_PROGRESSIONS.length)];
  const beat = 60 / bpm;
  const length = Math.round(seconds * SAMPLE_RATE);
  const chordAt = (t: number) => progression[Math.floor(t / (beat * 4)) % progression.length];
  const hits = Array.from({ length: 16 }, () => random() < 0.5);

  const drums = new Float32Array(length);
  const bass = new Float32Array(length);
  const piano = new Float32Array(length);
  const synth = new Float32Array(length);
  const noise = seededRandom(seed * 31 + id);
  for (let i = 0; i < length; i++) {
    const t = i / SAMPLE_RATE;
    const sixteenth = Math.floor(t / (beat / 4));
    const sinceSixteenth = t - sixteenth * (beat / 4);
    const sinceBeat = t % beat;
    const chord = rootMidi + chordAt(t);
    // Kick on beats, hats on this song's sixteenth pattern.
    const kick = Math.sin(2 * Math.PI * (50 + 80 * Math.exp(-sinceBeat * 30)) * sinceBeat);
    const hat = hits[sixteenth % 16] ? (noise() * 2 - 1) * Math.exp(-sinceSixteenth * 60) : 0;
    drums[i] = 0.6 * kick * Math.exp(-sinceBeat * 8) + 0.3 * hat;
    // Bass: chord root, re-struck every beat.
    const bassHz = midiHz(chord - 12);
    bass[i] = 0.5 * Math.sign(Math.sin(2 * Math.PI * bassHz * t)) * Math.exp(-sinceBeat * 3) * 0.6;
    // Piano: minor triad with harmonics, struck every two beats.
    const sinceStrike = t % (beat * 2);
    let p = 0;
    for (const interval of [12, 15, 19]) {
      const hz = midiHz(chord + interval);
      p += Math.sin(2 * Math.PI * hz * t) + 0.3 * Math.sin(4 * Math.PI * hz * t);
    }
    piano[i] = 0.15 * p * Math.exp(-sinceStrike * 2);
    // Synth lead: arpeggio over the chord in eighths with vibrato.
    const eighth = Math.floor(t / (beat / 2));
    const arp = [24, 27, 31, 27][eighth % 4];
    const hz = midiHz(chord + arp) * (1 + 0.005 * Math.sin(2 * Math.PI * 5 * t));
    synth[i] = 0.2 * (2 * ((t * hz) % 1) - 1) * Math.exp(-(t % (beat / 2)) * 4);
  }
  return { id, bpm, rootMidi, stems: { drums, bass, piano, synth } };
}

/** Sum of the song's stems except `exclude`, peak-normalised. */
export function mixOf(song: Song, exclude: Instrument[] = []): Float32Array {
  const parts = Object.entries(song.stems).filter(([name]) => !exclude.includes(name as Instrument));
  const length = parts[0][1].length;
  const mix = new Float32Array(length);
  for (const [, signal] of parts) for (let i = 0; i < length; i++) mix[i] += signal[i];
  let peak = 0;
  for (const value of mix) peak = Math.max(peak, Math.abs(value));
  if (peak > 0.99) for (let i = 0; i < length; i++) mix[i] *= 0.99 / peak;
  return mix;
}

export function wavBytes(signal: Float32Array): Buffer {
  return Buffer.from(encodeWav([signal], SAMPLE_RATE, { bitDepth: 16 }));
}

export { seededRandom };
