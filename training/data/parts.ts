import type { Note } from './drums.js';
import type { Rng } from './random.js';
import type { SongPlan } from './song.js';
import type { BassPattern, GuitarPattern, KeysPattern, OtherPattern } from './styles.js';
import {
  type Chord,
  chordPitchClasses,
  nearestPitch,
  pitchAtOrAbove,
  pitchClass,
  scalePitchClasses,
  voiceLead,
} from './theory.js';

/**
 * Pitched parts. Each function writes one part over the whole song from the plan's chords, in
 * beats; `activeBars[bar]` says whether the part plays in a bar (the arrangement).
 */

type ActiveBars = readonly boolean[];

const BASS_FLOOR = 31; // G1: bass roots sit in G1..F#2
const SIXTEENTH = 0.25;

function barStart(plan: SongPlan, bar: number): number {
  return bar * plan.beatsPerBar;
}

function bassRoot(chord: Chord): number {
  return pitchAtOrAbove(chord.root, BASS_FLOOR);
}

function chordTone(chord: Chord, index: number): number {
  return pitchClass(chord.root + chord.intervals[index % chord.intervals.length]);
}

function fifthAbove(chord: Chord): number {
  return chord.intervals[2] ?? 7;
}

/** Sixteenth-step patterns for syncopated bass: `r` root, `o` octave, `f` fifth, `.` rest. */
const SYNCOPATED_BASS = ['r..r..o...r.f.o.', 'r.....r...o..r..', 'r..o..r.r...f...', 'r......or.r.....'];

export function bassPart(plan: SongPlan, pattern: BassPattern, activeBars: ActiveBars, rng: Rng): Note[] {
  const notes: Note[] = [];
  const beats = plan.beatsPerBar;
  const syncopated = rng.pick(SYNCOPATED_BASS);
  const drive = plan.tempo >= 100 && rng.chance(0.6) ? 0.5 : plan.tempo < 85 ? 2 : 1;
  for (let bar = 0; bar < plan.bars; bar++) {
    if (!activeBars[bar]) continue;
    const chord = plan.chords[bar];
    const next = plan.chords[bar + 1] ?? chord;
    const root = bassRoot(chord);
    const start = barStart(plan, bar);
    const velocity = 96;
    switch (pattern) {
      case 'roots':
        for (let beat = 0; beat < beats; beat += drive) {
          notes.push({ beat: start + beat, duration: drive * 0.9, pitch: root, velocity });
        }
        break;
      case 'rootFifth': {
        // Root for the first two beats, fifth for the rest (two beats in 4/4, one in 3/4).
        notes.push({ beat: start, duration: 2 * 0.95, pitch: root, velocity });
        notes.push({
          beat: start + 2,
          duration: (beats - 2) * 0.9,
          pitch: root + fifthAbove(chord),
          velocity: 88,
        });
        break;
      }
      case 'octaves':
        for (let eighth = 0; eighth < beats * 2; eighth++) {
          notes.push({
            beat: start + eighth / 2,
            duration: 0.4,
            pitch: root + (eighth % 2 === 1 ? 12 : 0),
            velocity,
          });
        }
        break;
      case 'syncopated':
        for (let step = 0; step < beats * 4; step++) {
          const symbol = syncopated[step % syncopated.length];
          if (symbol === '.') continue;
          const pitch = symbol === 'o' ? root + 12 : symbol === 'f' ? root + fifthAbove(chord) : root;
          const length = syncopated.slice(step + 1).search(/[^.]/);
          const duration = Math.min(2, (length < 0 ? beats * 4 - step : length + 1) * SIXTEENTH) * 0.85;
          notes.push({
            beat: start + step * SIXTEENTH,
            duration,
            pitch,
            velocity: step === 0 ? 104 : velocity - 6,
          });
        }
        break;
      case 'walking':
        notes.push(...walkingBar(plan, chord, next, start, rng));
        break;
    }
  }
  return notes;
}

const WALKING_LOW = 28;
const WALKING_HIGH = 52;

/** Moves a pitch by octaves into [low, high], keeping its pitch class. */
function foldIntoRange(pitch: number, low: number, high: number): number {
  while (pitch < low) pitch += 12;
  while (pitch > high) pitch -= 12;
  return pitch;
}

/** A walking bar: root on one, chord and scale tones in between, a step into the next root. */
function walkingBar(plan: SongPlan, chord: Chord, next: Chord, start: number, rng: Rng): Note[] {
  const beats = plan.beatsPerBar;
  const scale = scalePitchClasses(plan.key);
  const root = bassRoot(chord);
  const target = nearestPitch(next.root, root);
  const notes: Note[] = [{ beat: start, duration: 0.9, pitch: root, velocity: 100 }];
  let current = root;
  for (let beat = 1; beat < beats; beat++) {
    let pitch: number;
    if (beat === beats - 1) {
      pitch = target + (rng.chance(0.5) ? 1 : -1); // chromatic approach
    } else {
      // A chord tone or a scale step, never the note just played: a walking line keeps moving.
      const tone = chordTone(chord, rng.int(1, chord.intervals.length - 1));
      const options = rng.chance(0.6) ? [tone] : scale;
      const moving = options.filter((pc) => pc !== pitchClass(current));
      pitch = nearestPitch(
        rng.pick(moving.length > 0 ? moving : scale),
        current + (target > current ? 3 : -3),
      );
    }
    pitch = foldIntoRange(pitch, WALKING_LOW, WALKING_HIGH);
    notes.push({ beat: start + beat, duration: 0.9, pitch, velocity: 86 + rng.int(-6, 6) });
    current = pitch;
  }
  return notes;
}

function chordNotes(voicing: readonly number[], beat: number, duration: number, velocity: number): Note[] {
  return voicing.map((pitch) => ({ beat, duration, pitch, velocity }));
}

/** Syncopated comping rhythms on a sixteenth grid (`x` hit). */
const COMPING_RHYTHMS = ['x.....x.........', '......x.....x...', '..x...x...x..x..', 'x.........x..x..'];

export function keysPart(plan: SongPlan, pattern: KeysPattern, activeBars: ActiveBars, rng: Rng): Note[] {
  const notes: Note[] = [];
  const beats = plan.beatsPerBar;
  const rhythm = rng.pick(COMPING_RHYTHMS);
  const arpeggioOrder = rng.pick([
    [0, 1, 2, 3, 2, 1],
    [0, 2, 1, 3],
    [0, 1, 2, 1],
  ]);
  const blockLength = rng.pick([beats, beats / (beats === 3 ? 3 : 2)]);
  let voicing: number[] | undefined;
  for (let bar = 0; bar < plan.bars; bar++) {
    const chord = plan.chords[bar];
    voicing = voiceLead(chord, voicing, 55, 77);
    if (!activeBars[bar]) continue;
    const start = barStart(plan, bar);
    const leftHand = pitchAtOrAbove(chord.root, 43);
    switch (pattern) {
      case 'block':
        for (let beat = 0; beat < beats; beat += blockLength) {
          notes.push(...chordNotes(voicing, start + beat, blockLength * 0.95, beat === 0 ? 84 : 74));
        }
        notes.push({ beat: start, duration: beats * 0.95, pitch: leftHand, velocity: 78 });
        break;
      case 'arpeggio': {
        const tones = [leftHand, ...voicing];
        for (let eighth = 0; eighth < beats * 2; eighth++) {
          const pitch = tones[arpeggioOrder[eighth % arpeggioOrder.length] % tones.length];
          notes.push({ beat: start + eighth / 2, duration: 0.9, pitch, velocity: eighth === 0 ? 82 : 70 });
        }
        break;
      }
      case 'comping':
        for (let step = 0; step < beats * 4; step++) {
          if (rhythm[step % rhythm.length] !== 'x') continue;
          notes.push(
            ...chordNotes(voicing, start + step * SIXTEENTH, 0.4 + rng.next() * 0.4, 76 + rng.int(-8, 8)),
          );
        }
        break;
      case 'offbeatStabs':
        for (let beat = 0; beat < beats; beat++) {
          notes.push(...chordNotes(voicing, start + beat + 0.5, 0.25, 84));
        }
        break;
    }
  }
  return notes;
}

/** Strum rhythms on an eighth grid: `D` down-stroke, `U` up-stroke, `.` rest (4/4; 3/4 uses the first six). */
const STRUMS = ['D.DU.UDU', 'D.D.D.DU', 'D..UD.DU', 'D.DUDUDU'];

function guitarShape(chord: Chord): number[] {
  const root = pitchAtOrAbove(chord.root, 40);
  const fifth = root + fifthAbove(chord);
  const upper = voiceLead(chord, [root + 16], root + 12, root + 24);
  return [root, fifth, ...upper];
}

export function guitarPart(plan: SongPlan, pattern: GuitarPattern, activeBars: ActiveBars, rng: Rng): Note[] {
  const notes: Note[] = [];
  const beats = plan.beatsPerBar;
  const strum = rng.pick(STRUMS).slice(0, beats * 2);
  const chopRhythm = rng.pick(['..x...x...x...x.', 'x.x..x..x.x..x..', '..xx..x...xx..x.']);
  for (let bar = 0; bar < plan.bars; bar++) {
    if (!activeBars[bar]) continue;
    const chord = plan.chords[bar];
    const start = barStart(plan, bar);
    const shape = guitarShape(chord);
    switch (pattern) {
      case 'strum':
        for (let eighth = 0; eighth < strum.length; eighth++) {
          const stroke = strum[eighth];
          if (stroke === '.') continue;
          // Strings sound one after another; an up-stroke hits fewer, higher strings.
          const strings = stroke === 'D' ? shape : shape.slice(2).reverse();
          strings.forEach((pitch, index) => {
            notes.push({
              beat: start + eighth / 2 + index * 0.02,
              duration: 0.5,
              pitch,
              velocity: stroke === 'D' ? 88 : 70,
            });
          });
        }
        break;
      case 'powerRiff': {
        const power = [shape[0], shape[0] + 7, shape[0] + 12];
        for (let eighth = 0; eighth < beats * 2; eighth++) {
          const accent = eighth % 4 === 0;
          notes.push(...chordNotes(power, start + eighth / 2, accent ? 0.45 : 0.25, accent ? 104 : 86));
        }
        break;
      }
      case 'funkChops': {
        const dyad = [nearestPitch(chordTone(chord, 1), 64), nearestPitch(chordTone(chord, 3), 69)];
        for (let step = 0; step < beats * 4; step++) {
          if (chopRhythm[step % chopRhythm.length] !== 'x') continue;
          notes.push(...chordNotes(dyad, start + step * SIXTEENTH, 0.12, 90 + rng.int(-10, 10)));
        }
        break;
      }
      case 'picking':
        for (let eighth = 0; eighth < beats * 2; eighth++) {
          const pitch =
            eighth % 2 === 0 ? shape[(eighth / 2) % 2] : shape[2 + (((eighth - 1) / 2) % (shape.length - 2))];
          notes.push({ beat: start + eighth / 2, duration: 1, pitch, velocity: 74 });
        }
        break;
    }
  }
  return notes;
}

/** Sustained chords, one per bar, voice-led: strings or synth pads. */
export function padPart(plan: SongPlan, activeBars: ActiveBars): Note[] {
  const notes: Note[] = [];
  let voicing: number[] | undefined;
  for (let bar = 0; bar < plan.bars; bar++) {
    voicing = voiceLead(plan.chords[bar], voicing, 52, 74);
    if (!activeBars[bar]) continue;
    notes.push(...chordNotes(voicing, barStart(plan, bar), plan.beatsPerBar - 0.05, 72));
  }
  return notes;
}

/** The `other` part: brass stabs, organ or mallet sustains, mallet comping. */
export function otherPart(plan: SongPlan, pattern: OtherPattern, activeBars: ActiveBars, rng: Rng): Note[] {
  if (pattern === 'sustain') return padPart(plan, activeBars);
  if (pattern === 'comping') return keysPart(plan, 'comping', activeBars, rng);
  const notes: Note[] = [];
  const hits = rng.pick([
    [1.5, 3],
    [2.5, 3.5],
    [0, 1.5],
  ]);
  let voicing: number[] | undefined;
  for (let bar = 0; bar < plan.bars; bar++) {
    voicing = voiceLead(plan.chords[bar], voicing, 58, 79);
    if (!activeBars[bar]) continue;
    for (const hit of hits) {
      if (hit >= plan.beatsPerBar) continue;
      notes.push(...chordNotes(voicing, barStart(plan, bar) + hit, 0.35, 96));
    }
  }
  return notes;
}

/** Rhythm cells (in beats) a phrase is built from: long notes for singing, some syncopation. */
const MELODY_CELLS: readonly (readonly number[])[] = [
  [1, 1],
  [0.5, 0.5, 1],
  [1.5, 0.5],
  [2],
  [0.5, 1, 0.5],
  [1, 0.5, 0.5],
  [3],
];

interface PhraseNote {
  offset: number;
  duration: number;
  pitch: number;
}

/**
 * One 4-bar melodic phrase: a rhythm filled with chord tones on strong beats and mostly
 * stepwise scale tones between, resting at the end like a singer taking a breath.
 */
function melodyPhrase(plan: SongPlan, firstBar: number, rng: Rng): PhraseNote[] {
  const beats = plan.beatsPerBar;
  const scale = scalePitchClasses(plan.key);
  const phraseBeats = 4 * beats;
  const restAt = phraseBeats - rng.pick([1, 2, beats]);
  const out: PhraseNote[] = [];
  let position = rng.pick([0, 0, 0.5, 1]);
  let pitch = nearestPitch(plan.chords[firstBar].root, 67);
  while (position < restAt) {
    for (const length of rng.pick(MELODY_CELLS)) {
      if (position >= restAt) break;
      const bar = firstBar + Math.floor(position / beats);
      const chord = plan.chords[Math.min(bar, plan.chords.length - 1)];
      const strong = position % 1 === 0 && (position % beats) % 2 === 0;
      const candidates = strong ? chordPitchClasses(chord) : scale;
      const step = rng.weighted([
        [-2, 2],
        [-1, 3],
        [0, 1],
        [1, 3],
        [2, 2],
        [4, 1],
        [-4, 1],
      ] as const);
      let target = pitch + step * 2;
      if (target > 79) target -= 7;
      if (target < 60) target += 7;
      pitch = nearestPitch(rng.pick(candidates), target);
      const duration = Math.min(length, restAt - position);
      out.push({ offset: position, duration, pitch });
      position += length;
      if (rng.chance(0.12)) position += 0.5; // a breath inside the phrase
    }
  }
  return out;
}

/**
 * The lead line ("vocals" role): each section kind gets its own phrase, repeated whenever the
 * section comes back, the way a verse melody returns with each verse.
 */
export function leadPart(plan: SongPlan, activeBars: ActiveBars, rng: Rng): Note[] {
  const phrases = new Map<string, PhraseNote[]>();
  const notes: Note[] = [];
  for (const section of plan.sections) {
    for (let block = 0; block < section.bars; block += 4) {
      const firstBar = section.startBar + block;
      const key = `${section.name}:${block % 8}`;
      let phrase = phrases.get(key);
      if (!phrase) {
        phrase = melodyPhrase(plan, firstBar, rng);
        phrases.set(key, phrase);
      }
      for (const note of phrase) {
        const bar = firstBar + Math.floor(note.offset / plan.beatsPerBar);
        if (!activeBars[bar]) continue;
        // Fit repeated phrases to the current chord when a section returns over other harmony.
        const chord = plan.chords[bar];
        const strong = note.offset % 1 === 0;
        const pitch =
          strong && !chordPitchClasses(chord).includes(pitchClass(note.pitch))
            ? nearestPitch(chord.root, note.pitch)
            : note.pitch;
        notes.push({
          beat: barStart(plan, firstBar) + note.offset,
          duration: note.duration * 0.95,
          pitch,
          velocity: 92,
        });
      }
    }
  }
  return notes;
}
