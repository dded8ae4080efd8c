import type { Instrument } from '../../src/instruments.js';

/**
 * General MIDI program -> instrument label: the one place that decides which conditioning label a
 * rendered stem gets. Labels follow the sound, not the part's role: a lead line played by a sax is
 * `other`, sung by "Voice Oohs" it is `vocals`.
 */

/** MIDI channel 10 (index 9) plays the GM drum kits. */
export const DRUM_CHANNEL = 9;

/** GM drum kits as selected by a program change on the drum channel (SoundFont bank 128). */
export const DRUM_KITS = {
  standard: 0,
  room: 8,
  power: 16,
  electronic: 24,
  tr808: 25,
  jazz: 32,
  brush: 40,
} as const;

export type DrumKit = keyof typeof DRUM_KITS;

/** Voice-like GM programs: choir aahs, voice oohs, synth voice, lead 6 (voice). */
const VOCAL_PROGRAMS: ReadonlySet<number> = new Set([52, 53, 54, 85]);

/** Label of a melodic (non-drum-channel) GM program 0..127. */
export function labelForProgram(program: number): Instrument {
  if (!Number.isInteger(program) || program < 0 || program > 127) {
    throw new RangeError(`GM program ${program} outside 0..127`);
  }
  if (VOCAL_PROGRAMS.has(program)) return 'vocals';
  if (program <= 7) return 'piano'; // pianos, electric pianos, harpsichord, clavinet
  if (program <= 23) return 'other'; // chromatic percussion (mallets), organs
  if (program <= 31) return 'guitar';
  if (program <= 39) return 'bass';
  if (program <= 51) return 'strings'; // solo strings, ensembles, synth strings
  if (program <= 79) return 'other'; // orchestra hit, brass, reeds, pipes
  if (program <= 103) return 'synth'; // synth leads, pads, effects
  return 'other'; // ethnic, percussive, sound effects
}

/** Label of a stem given how it was rendered. */
export function labelForStem(stem: { channel: number; program: number }): Instrument {
  return stem.channel === DRUM_CHANNEL ? 'drums' : labelForProgram(stem.program);
}

/** Names of the GM programs the styles use, for readable metadata. */
export const PROGRAM_NAMES: Readonly<Record<number, string>> = {
  0: 'Acoustic Grand Piano',
  1: 'Bright Acoustic Piano',
  2: 'Electric Grand Piano',
  4: 'Electric Piano 1',
  5: 'Electric Piano 2',
  7: 'Clavinet',
  11: 'Vibraphone',
  12: 'Marimba',
  16: 'Drawbar Organ',
  17: 'Percussive Organ',
  18: 'Rock Organ',
  24: 'Acoustic Guitar (nylon)',
  25: 'Acoustic Guitar (steel)',
  26: 'Electric Guitar (jazz)',
  27: 'Electric Guitar (clean)',
  28: 'Electric Guitar (muted)',
  29: 'Overdriven Guitar',
  30: 'Distortion Guitar',
  32: 'Acoustic Bass',
  33: 'Electric Bass (finger)',
  34: 'Electric Bass (pick)',
  35: 'Fretless Bass',
  36: 'Slap Bass 1',
  38: 'Synth Bass 1',
  39: 'Synth Bass 2',
  40: 'Violin',
  42: 'Cello',
  48: 'String Ensemble 1',
  49: 'String Ensemble 2',
  50: 'Synth Strings 1',
  52: 'Choir Aahs',
  53: 'Voice Oohs',
  54: 'Synth Voice',
  56: 'Trumpet',
  57: 'Trombone',
  61: 'Brass Section',
  62: 'Synth Brass 1',
  65: 'Alto Sax',
  66: 'Tenor Sax',
  71: 'Clarinet',
  73: 'Flute',
  80: 'Lead 1 (square)',
  81: 'Lead 2 (sawtooth)',
  85: 'Lead 6 (voice)',
  87: 'Lead 8 (bass + lead)',
  88: 'Pad 1 (new age)',
  89: 'Pad 2 (warm)',
  90: 'Pad 3 (polysynth)',
  91: 'Pad 4 (choir)',
  94: 'Pad 7 (halo)',
  95: 'Pad 8 (sweep)',
};

export function programName(program: number): string {
  return PROGRAM_NAMES[program] ?? `GM program ${program}`;
}
