/**
 * Just enough music theory to write songs that are tonal: keys, modes, diatonic chords built by
 * stacking scale thirds (so a progression written in scale degrees is correct in any key and
 * mode), chord symbols, and voicings that move smoothly from chord to chord.
 */

export const PITCH_CLASS_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'Gb', 'G', 'Ab', 'A', 'Bb', 'B'] as const;

export const MODES = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
  dorian: [0, 2, 3, 5, 7, 9, 10],
  mixolydian: [0, 2, 4, 5, 7, 9, 10],
} as const;

export type Mode = keyof typeof MODES;

export interface Key {
  /** Pitch class of the tonic, 0 = C. */
  tonic: number;
  mode: Mode;
}

export interface Chord {
  /** Pitch class of the root. */
  root: number;
  /** Intervals above the root in semitones, root (0) first, ascending. */
  intervals: number[];
  symbol: string;
}

export function pitchClass(pitch: number): number {
  return ((pitch % 12) + 12) % 12;
}

/** Pitch classes of the key's scale, tonic first. */
export function scalePitchClasses(key: Key): number[] {
  return MODES[key.mode].map((step) => pitchClass(key.tonic + step));
}

function qualitySuffix(intervals: readonly number[]): string {
  const [third, fifth, seventh] = [intervals[1], intervals[2], intervals[3]];
  const triad =
    third === 4 && fifth === 7 ? '' : third === 3 && fifth === 7 ? 'm' : third === 3 ? 'dim' : 'aug';
  if (seventh === undefined) return triad;
  if (triad === '' && seventh === 11) return 'maj7';
  if (triad === '' && seventh === 10) return '7';
  if (triad === 'm' && seventh === 10) return 'm7';
  if (triad === 'dim' && seventh === 10) return 'm7b5';
  return `${triad}(${seventh})`;
}

/**
 * The diatonic chord on a 1-based scale degree (1..7): stacked scale thirds, a triad or, with
 * `seventh`, a four-note chord. A degree may carry a `b` prefix ("b7") for the common borrowed
 * major chord a semitone below the diatonic degree (e.g. bVII in a major key).
 */
export function diatonicChord(key: Key, degree: string, seventh: boolean): Chord {
  const scale = MODES[key.mode];
  const borrowed = degree.startsWith('b');
  const index = Number.parseInt(borrowed ? degree.slice(1) : degree, 10) - 1;
  if (!(index >= 0 && index < 7)) throw new RangeError(`bad scale degree ${degree}`);
  let intervals: number[];
  let rootStep: number;
  if (borrowed) {
    rootStep = scale[index] - 1;
    intervals = seventh ? [0, 4, 7, 10] : [0, 4, 7];
  } else {
    rootStep = scale[index];
    const tones = seventh ? [0, 2, 4, 6] : [0, 2, 4];
    intervals = tones.map((offset) => {
      const step = index + offset;
      return scale[step % 7] + 12 * Math.floor(step / 7) - rootStep;
    });
  }
  const root = pitchClass(key.tonic + rootStep);
  return { root, intervals, symbol: `${PITCH_CLASS_NAMES[root]}${qualitySuffix(intervals)}` };
}

export function chordPitchClasses(chord: Chord): number[] {
  return chord.intervals.map((interval) => pitchClass(chord.root + interval));
}

/** The pitch with the given pitch class closest to `target` (ties go down). */
export function nearestPitch(pc: number, target: number): number {
  const below = target - pitchClass(target - pc);
  return target - below <= below + 12 - target ? below : below + 12;
}

/** The lowest pitch of class `pc` that is >= `floor`. */
export function pitchAtOrAbove(pc: number, floor: number): number {
  return floor + pitchClass(pc - floor);
}

/**
 * A close-position voicing of the chord whose notes lie in [low, high], choosing the inversion
 * closest to the previous voicing so that parts move by small steps like a player's hands would.
 */
export function voiceLead(
  chord: Chord,
  previous: readonly number[] | undefined,
  low: number,
  high: number,
): number[] {
  const pcs = chordPitchClasses(chord);
  const centre =
    previous && previous.length > 0
      ? previous.reduce((a, b) => a + b, 0) / previous.length
      : (low + high) / 2;
  let best: number[] = [];
  let bestCost = Number.POSITIVE_INFINITY;
  for (let inversion = 0; inversion < pcs.length; inversion++) {
    const order = [...pcs.slice(inversion), ...pcs.slice(0, inversion)];
    for (let base = low; base < low + 12; base++) {
      if (pitchClass(base) !== order[0]) continue;
      const voicing = [base];
      for (const pc of order.slice(1)) voicing.push(pitchAtOrAbove(pc, voicing[voicing.length - 1] + 1));
      if (voicing[voicing.length - 1] > high) continue;
      for (let shift = 0; voicing[voicing.length - 1] + shift <= high; shift += 12) {
        const shifted = voicing.map((p) => p + shift);
        const mean = shifted.reduce((a, b) => a + b, 0) / shifted.length;
        const cost = Math.abs(mean - centre);
        if (cost < bestCost) {
          bestCost = cost;
          best = shifted;
        }
      }
    }
  }
  if (best.length === 0) throw new RangeError(`no voicing of ${chord.symbol} fits ${low}..${high}`);
  return best;
}
