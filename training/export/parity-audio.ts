import { chunkSamples, DEFAULT_FRONT_END, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { createFrontEnd } from '../../src/audio/spectrogram.js';
import { seededRandom } from '../model/params.js';
import type { ParityInput } from './parity-check.js';

const SAMPLE_RATE = DEFAULT_FRONT_END.sampleRate;

/**
 * Real front-end features for parity: two 8-second synthetic pieces (a harmonic bass line and
 * chords over noise-burst drums at 120 bpm; and the drums alone) through the model's front end
 * (the service's log-mel by default). They exercise the value range of actual spectrograms,
 * which random inputs do not.
 */
export function synthMusicLogMels(seed: number, config: FrontEndConfig = DEFAULT_FRONT_END): ParityInput {
  const random = seededRandom(seed);
  const length = chunkSamples(DEFAULT_FRONT_END);
  const drums = drumTrack(length, random);
  const mix = new Float32Array(length);
  const tonal = tonalTrack(length);
  for (let i = 0; i < length; i++) mix[i] = 0.6 * tonal[i] + 0.4 * drums[i];
  const frontEnd = createFrontEnd(config);
  const pieces = [mix, drums].map((samples) => frontEnd.compute(samples).data);
  const logMel = new Float32Array(pieces.reduce((total, piece) => total + piece.length, 0));
  for (const [i, piece] of pieces.entries()) logMel.set(piece, i * piece.length);
  return { label: 'synthetic music x2', logMel, batch: pieces.length };
}

/** A bass note and a triad per beat pair, each a few decaying harmonics. */
function tonalTrack(length: number): Float32Array {
  const out = new Float32Array(length);
  const bassLine = [55, 55, 73.42, 65.41, 49, 49, 61.74, 65.41];
  const chordRoots = [220, 293.66, 261.63, 196];
  const noteSamples = SAMPLE_RATE; // one note per second (two beats)
  for (let i = 0; i < length; i++) {
    const note = Math.floor(i / noteSamples);
    const t = (i % noteSamples) / SAMPLE_RATE;
    const envelope = Math.exp(-3 * t);
    let value = harmonics(bassLine[note % bassLine.length], t, 4) * envelope;
    const root = chordRoots[Math.floor(note / 2) % chordRoots.length];
    for (const ratio of [1, 1.26, 1.5]) value += 0.3 * harmonics(root * ratio, t, 3) * envelope;
    out[i] = 0.4 * value;
  }
  return out;
}

function harmonics(frequency: number, t: number, count: number): number {
  let value = 0;
  for (let k = 1; k <= count; k++) value += Math.sin(2 * Math.PI * frequency * k * t) / k;
  return value;
}

/** Noise bursts on every beat (kick-like low thump on downbeats, brighter hats between). */
function drumTrack(length: number, random: () => number): Float32Array {
  const out = new Float32Array(length);
  const beat = SAMPLE_RATE / 2;
  for (let i = 0; i < length; i++) {
    const sinceBeat = (i % beat) / SAMPLE_RATE;
    const sinceHalf = ((i + beat / 2) % beat) / SAMPLE_RATE;
    const kick = Math.sin(2 * Math.PI * 60 * sinceBeat) * Math.exp(-25 * sinceBeat);
    const hat = (random() * 2 - 1) * Math.exp(-60 * sinceHalf);
    out[i] = 0.8 * kick + 0.3 * hat;
  }
  return out;
}
