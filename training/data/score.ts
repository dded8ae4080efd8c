import type { Instrument } from '../../src/instruments.js';
import { drumPart, type Note } from './drums.js';
import { bassPart, guitarPart, keysPart, leadPart, otherPart, padPart } from './parts.js';
import { DRUM_CHANNEL, DRUM_KITS, labelForStem } from './programs.js';
import { Rng } from './random.js';
import { generateSongPlan, type SongPlan, type SongPlanOptions, songSeconds } from './song.js';
import type { PartPreset, SectionName } from './styles.js';

/**
 * A song's score: the plan plus one performed part per stem, in seconds, humanised, with the GM
 * program and channel each stem is rendered with.
 */

export const ROLES = ['drums', 'bass', 'keys', 'guitar', 'pad', 'lead', 'other'] as const;
export type Role = (typeof ROLES)[number];

export interface PerformedNote {
  time: number;
  duration: number;
  pitch: number;
  velocity: number;
}

export interface StemScore {
  /** Stem name, unique within a song: the part's role. */
  name: Role;
  instrument: Instrument;
  program: number;
  channel: number;
  notes: PerformedNote[];
}

export interface Score {
  plan: SongPlan;
  durationSeconds: number;
  stems: StemScore[];
}

/** Probability a part plays in a section of each kind; the lead rests in intros and outros. */
const ACTIVITY: Record<Role, Record<SectionName, number>> = {
  drums: { intro: 0.4, verse: 0.95, chorus: 1, bridge: 0.6, outro: 0.5 },
  bass: { intro: 0.5, verse: 0.95, chorus: 1, bridge: 0.8, outro: 0.6 },
  keys: { intro: 0.8, verse: 0.8, chorus: 1, bridge: 0.9, outro: 0.9 },
  guitar: { intro: 0.5, verse: 0.7, chorus: 1, bridge: 0.6, outro: 0.5 },
  pad: { intro: 0.7, verse: 0.6, chorus: 1, bridge: 0.9, outro: 0.8 },
  lead: { intro: 0, verse: 1, chorus: 1, bridge: 0.7, outro: 0 },
  other: { intro: 0.3, verse: 0.4, chorus: 1, bridge: 0.5, outro: 0.3 },
};

/** Which bars a part plays in: decided per section, so parts enter and leave at section borders. */
function arrangement(plan: SongPlan, role: Role, rng: Rng): boolean[] {
  const active = new Array<boolean>(plan.bars).fill(false);
  for (const section of plan.sections) {
    const plays = rng.chance(ACTIVITY[role][section.name]);
    for (let bar = section.startBar; bar < section.startBar + section.bars; bar++) active[bar] = plays;
  }
  if (!active.some(Boolean)) {
    // A part chosen for the song plays somewhere: give it the loudest section.
    const chorus = plan.sections.find((section) => section.name === 'chorus') ?? plan.sections[0];
    for (let bar = chorus.startBar; bar < chorus.startBar + chorus.bars; bar++) active[bar] = true;
  }
  return active;
}

/**
 * Musical beats -> seconds with swing: the off-beat eighth moves from 0.5 to `swing` of the beat
 * (sixteenths follow proportionally), then per-note timing and velocity humanisation.
 */
function perform(plan: SongPlan, notes: readonly Note[], rng: Rng, timingScale = 1): PerformedNote[] {
  const secondsPerBeat = 60 / plan.tempo;
  const swung = (beat: number): number => {
    const whole = Math.floor(beat);
    const fraction = beat - whole;
    const moved =
      fraction <= 0.5
        ? (fraction / 0.5) * plan.swing
        : plan.swing + ((fraction - 0.5) / 0.5) * (1 - plan.swing);
    return (whole + moved) * secondsPerBeat;
  };
  const { timingJitter, velocityJitter } = plan.style;
  return notes.map((note) => {
    const section = plan.sections.find(
      (candidate) =>
        note.beat >= candidate.startBar * plan.beatsPerBar &&
        note.beat < (candidate.startBar + candidate.bars) * plan.beatsPerBar,
    );
    const energy = section?.energy ?? 1;
    const start = swung(note.beat);
    const end = swung(note.beat + note.duration);
    const time = Math.max(0, start + rng.normal(0, timingJitter * timingScale));
    const velocity = Math.round(note.velocity * (0.7 + 0.3 * energy) + rng.normal(0, velocityJitter));
    return {
      time,
      duration: Math.max(0.03, end - start),
      pitch: note.pitch,
      velocity: Math.min(127, Math.max(1, velocity)),
    };
  });
}

export function composeSong(seed: number, options: SongPlanOptions = {}): Score {
  const plan = generateSongPlan(seed, options);
  const rng = new Rng(seed).fork('parts');
  const style = plan.style;
  const stems: StemScore[] = [];
  let nextChannel = 0;
  const add = (name: Role, program: number, drums: boolean, notes: Note[], partRng: Rng): void => {
    if (notes.length === 0) return;
    const channel = drums ? DRUM_CHANNEL : nextChannel++;
    const performed = perform(plan, notes, partRng, drums ? 0.6 : 1);
    stems.push({ name, instrument: labelForStem({ channel, program }), program, channel, notes: performed });
  };
  // Each part draws from its own stream, so adding a part never changes the others.
  const partRng = (stream: string): Rng => rng.fork(stream);
  const wants = (role: Role, probability: number): boolean => partRng(`${role}:present`).chance(probability);

  if (wants('drums', style.drums.probability)) {
    const r = partRng('drums');
    const kit = DRUM_KITS[r.weighted(style.drums.kits)];
    const groove = r.weighted(style.drums.grooves);
    add('drums', kit, true, drumPart(plan, groove, arrangement(plan, 'drums', r), r), r);
  }
  const addMelodic = <P>(
    role: Role,
    preset: PartPreset<P>,
    write: (pattern: P, active: boolean[], r: Rng) => Note[],
  ) => {
    if (!wants(role, preset.probability)) return;
    const r = partRng(role);
    const program = r.weighted(preset.programs);
    const pattern = r.weighted(preset.patterns);
    add(role, program, false, write(pattern, arrangement(plan, role, r), r), partRng(`${role}:perform`));
  };
  addMelodic('bass', style.bass, (pattern, active, r) => bassPart(plan, pattern, active, r));
  addMelodic('keys', style.keys, (pattern, active, r) => keysPart(plan, pattern, active, r));
  addMelodic('guitar', style.guitar, (pattern, active, r) => guitarPart(plan, pattern, active, r));
  addMelodic('pad', style.pad, (_pattern, active) => padPart(plan, active));
  addMelodic('lead', style.lead, (_pattern, active, r) => leadPart(plan, active, r));
  addMelodic('other', style.other, (pattern, active, r) => otherPart(plan, pattern, active, r));
  return { plan, durationSeconds: songSeconds(plan), stems };
}
