import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Instrument } from '../../src/instruments.js';
import type { Split } from './corpus.js';
import type { MidiEvent } from './midi.js';
import { type Groove, type GrooveFamily, isHeldOutFamily } from './mma-library.js';
import { leadPart } from './parts.js';
import { DRUM_CHANNEL, labelForStem } from './programs.js';
import { hashSeed, Rng } from './random.js';
import { readMidiFile } from './smf-read.js';
import { generateSongPlan, type SongPlan, songSeconds } from './song.js';
import { HELDOUT_STYLE, type SectionName, STYLES } from './styles.js';
import { type Chord, PITCH_CLASS_NAMES } from './theory.js';

const run = promisify(execFile);

/**
 * The MMA song source. Our code writes the song — key, tempo, meter, a form of sections with a
 * chord per bar (the generator's song plan), and which groove of one MMA family plays each bar
 * (intro, main groove, its variations for choruses and bridges, fills before section changes,
 * the ending) — as an MMA file; `mma` performs it with the family's musician-written patterns;
 * the MIDI is split by channel and channels with the same instrument label form one stem. A lead
 * line from the generator's melody writer is added when the groove has no voice part.
 * Deterministic: the MMA file fixes mma's random seed (`RndSeed`), so a seed gives the same MIDI.
 */

/** Fraction (percent) of MMA songs whose family is drawn from the held-out families. */
const HELD_OUT_STYLE_PERCENT = 8;

/** The split of MMA song `seed`: a pure function of the seed, decided before the family is drawn. */
export function mmaSplitForSeed(seed: number): Split {
  if (hashSeed(seed, 0x3a3a) % 100 < HELD_OUT_STYLE_PERCENT) return 'heldout_style';
  const bucket = hashSeed(seed, 0x5eed) % 100;
  return bucket < 80 ? 'train' : bucket < 90 ? 'validation' : 'test';
}

/** The family of MMA song `seed`: held-out families only for held-out-style songs, never otherwise. */
export function familyForSeed(seed: number, families: readonly GrooveFamily[]): GrooveFamily {
  const heldOut = mmaSplitForSeed(seed) === 'heldout_style';
  const candidates = families.filter((family) => isHeldOutFamily(family.id) === heldOut);
  if (candidates.length === 0) throw new Error(`no ${heldOut ? 'held-out' : 'training'} MMA families`);
  return new Rng(seed).fork('mma:family').pick(candidates);
}

/** A family's tempo range from its name: ballads and slow styles slower, fast styles faster. */
function tempoRange(family: GrooveFamily): readonly [number, number] {
  if (/slow|ballad|lullaby|hymn|spiritual|ambient|serenade/i.test(family.id)) return [60, 88];
  if (/fast|quick|punk|metal|dnb|rave|techno|trance|march|twist|polka|bluegrass/i.test(family.id))
    return [120, 170];
  return [84, 136];
}

/** The chord in MMA's spelling, from its intervals (the generator's symbols use other names). */
export function mmaChordName(chord: Chord): string {
  const root = PITCH_CLASS_NAMES[chord.root];
  const shape = chord.intervals.slice(1).join(',');
  const names: Record<string, string> = {
    '4,7': '',
    '3,7': 'm',
    '3,6': 'dim',
    '4,8': 'aug',
    '4,7,11': 'maj7',
    '4,7,10': '7',
    '3,7,10': 'm7',
    '3,6,10': 'm7b5',
    '3,6,9': 'dim7',
    '3,7,11': 'mM7',
    '4,8,10': 'aug7',
    '4,8,11': 'M7#5',
    '4,7,9': '6',
    '3,7,9': 'm6',
  };
  return `${root}${names[shape] ?? (chord.intervals[1] === 3 ? 'm' : '')}`;
}

export interface MmaSongPlan {
  seed: number;
  plan: SongPlan;
  family: GrooveFamily;
  /** Groove name playing each bar. */
  grooves: string[];
  /** The MMA file our code wrote. */
  text: string;
}

function pickRole(family: GrooveFamily, role: Groove['role'], beats: number, rng: Rng): Groove | undefined {
  const candidates = family.grooves.filter((groove) => groove.role === role && groove.beatsPerBar === beats);
  return candidates.length > 0 ? rng.pick(candidates) : undefined;
}

function barGrooves(plan: SongPlan, family: GrooveFamily, rng: Rng): string[] {
  const beats = plan.beatsPerBar;
  const mains = family.grooves.filter((groove) => groove.role === 'main' && groove.beatsPerBar === beats);
  const main = rng.pick(mains);
  const others = mains.filter((groove) => groove !== main);
  const chorus = others.length > 0 ? rng.pick(others) : main;
  const bridge = others.length > 1 ? rng.pick(others.filter((groove) => groove !== chorus)) : chorus;
  const intro = pickRole(family, 'intro', beats, rng);
  const ending = pickRole(family, 'end', beats, rng);
  const fill = pickRole(family, 'fill', beats, rng);
  const bySection: Record<SectionName, Groove> = {
    intro: intro ?? main,
    verse: main,
    chorus,
    bridge,
    outro: main,
  };
  const grooves: string[] = [];
  plan.sections.forEach((section, index) => {
    for (let bar = 0; bar < section.bars; bar++) grooves.push(bySection[section.name].name);
    const lastBar = grooves.length - 1;
    const isLast = index === plan.sections.length - 1;
    if (!isLast && fill && rng.chance(0.5)) grooves[lastBar] = fill.name;
    if (isLast && ending) {
      // The ending plays the last two bars (one when the song is shorter).
      for (let bar = Math.max(0, grooves.length - 2); bar < grooves.length; bar++) grooves[bar] = ending.name;
    }
  });
  return grooves;
}

/** Styles whose harmony (progressions, modes, sevenths) MMA songs borrow: all but the held-out one. */
const HARMONY_STYLES = STYLES.filter((style) => style.name !== HELDOUT_STYLE);

export function planMmaSong(
  seed: number,
  families: readonly GrooveFamily[],
  durationRange: readonly [number, number],
): MmaSongPlan {
  const family = familyForSeed(seed, families);
  const rng = new Rng(seed).fork('mma');
  const beatsPerBar = rng.pick([
    ...new Set(family.grooves.filter((groove) => groove.role === 'main').map((groove) => groove.beatsPerBar)),
  ]);
  const style = rng.weighted(HARMONY_STYLES.map((candidate) => [candidate.name, candidate.weight] as const));
  const plan = generateSongPlan(seed, {
    durationRange,
    style,
    beatsPerBar,
    tempoRange: tempoRange(family),
    strictDuration: true,
  });
  const grooves = barGrooves(plan, family, rng.fork('grooves'));
  const lines = [
    `// stemdex MMA song, seed ${seed}, family ${family.id}`,
    `RndSeed ${hashSeed(seed, 0x4d4d41) % 1_000_000}`,
    `Tempo ${plan.tempo}`,
    `Use ${family.path}`,
  ];
  let current = '';
  plan.chords.forEach((chord, bar) => {
    if (grooves[bar] !== current) {
      current = grooves[bar];
      lines.push(`Groove ${current}`);
    }
    lines.push(`${bar + 1} ${mmaChordName(chord)}`);
  });
  return { seed, plan, family, grooves, text: `${lines.join('\n')}\n` };
}

export class MmaError extends Error {
  readonly code: 'MMA_MISSING' | 'MMA_FAILED';
  constructor(code: MmaError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Runs mma on the song's file and returns its MIDI events in seconds. */
export async function performWithMma(song: MmaSongPlan, binary = 'mma'): Promise<MidiEvent[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stemdex-mma-'));
  try {
    const input = join(dir, 'song.mma');
    const output = join(dir, 'song.mid');
    await writeFile(input, song.text);
    try {
      await run(binary, ['-w', '-xNOCREDIT', '-f', output, input], { maxBuffer: 1 << 22 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'MMA_MISSING' : 'MMA_FAILED';
      throw new MmaError(
        code,
        `mma failed on seed ${song.seed} (${song.family.id}): ${(error as Error).message}`,
      );
    }
    return readMidiFile(new Uint8Array(await readFile(output)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface SourceStem {
  /** Unique in the song: the instrument label, or `<label>-2` for a second stem of that label. */
  name: string;
  instrument: Instrument;
  /** GM program of the stem's first channel (kit number for drums). */
  program: number;
  channels: number[];
  drums: boolean;
  events: MidiEvent[];
  noteCount: number;
}

/** Groups MMA's channels into stems: one per instrument label (all drum tracks share channel 10). */
export function stemsFromMidi(events: readonly MidiEvent[]): SourceStem[] {
  const byChannel = new Map<number, MidiEvent[]>();
  for (const event of events) {
    const list = byChannel.get(event.channel) ?? [];
    list.push(event);
    byChannel.set(event.channel, list);
  }
  const stems = new Map<Instrument, SourceStem>();
  for (const [channel, list] of [...byChannel].sort((a, b) => a[0] - b[0])) {
    const notes = list.filter((event) => event.kind === 'note');
    if (notes.length === 0) continue;
    const firstProgram = list.find((event) => event.kind === 'program');
    const program = firstProgram?.kind === 'program' ? firstProgram.program : 0;
    const instrument = labelForStem({ channel, program });
    const stem = stems.get(instrument);
    if (stem) {
      stem.channels.push(channel);
      stem.events.push(...list);
      stem.noteCount += notes.length;
    } else {
      stems.set(instrument, {
        name: instrument,
        instrument,
        program,
        channels: [channel],
        drums: channel === DRUM_CHANNEL,
        events: [...list],
        noteCount: notes.length,
      });
    }
  }
  for (const stem of stems.values()) stem.events.sort((a, b) => a.time - b.time);
  return [...stems.values()];
}

/** Lead instruments for MMA songs without a voice: mostly GM voices, sometimes a horn or synth. */
const LEAD_PROGRAMS = [
  [53, 5],
  [54, 3],
  [85, 2],
  [52, 1],
  [65, 1],
  [56, 1],
  [73, 1],
  [81, 1],
] as const;

/** The generator's melody over the MMA song: verse, chorus and bridge, resting in intro and outro. */
function leadStem(song: MmaSongPlan, usedChannels: Set<number>): SourceStem | undefined {
  const { plan } = song;
  const rng = new Rng(song.seed).fork('mma:lead');
  const active = new Array<boolean>(plan.bars).fill(false);
  for (const section of plan.sections) {
    const plays =
      section.name === 'verse' || section.name === 'chorus' || (section.name === 'bridge' && rng.chance(0.7));
    for (let bar = section.startBar; bar < section.startBar + section.bars; bar++) active[bar] = plays;
  }
  const notes = leadPart(plan, active, rng);
  const channel = [...Array(16).keys()].find((c) => c !== DRUM_CHANNEL && !usedChannels.has(c));
  if (notes.length === 0 || channel === undefined) return undefined;
  const program = rng.weighted(LEAD_PROGRAMS);
  const secondsPerBeat = 60 / plan.tempo;
  const events: MidiEvent[] = [{ kind: 'program', time: 0, channel, program }];
  for (const note of notes) {
    events.push({
      kind: 'note',
      time: Math.max(0, note.beat * secondsPerBeat + rng.normal(0, 0.008)),
      duration: Math.max(0.03, note.duration * secondsPerBeat),
      channel,
      pitch: note.pitch,
      velocity: Math.min(127, Math.max(1, Math.round(note.velocity + rng.normal(0, 7)))),
    });
  }
  const instrument = labelForStem({ channel, program });
  return {
    name: instrument,
    instrument,
    program,
    channels: [channel],
    drums: false,
    events,
    noteCount: notes.length,
  };
}

export interface ComposedMmaSong {
  plan: MmaSongPlan;
  durationSeconds: number;
  stems: SourceStem[];
}

export async function composeMmaSong(
  seed: number,
  families: readonly GrooveFamily[],
  durationRange: readonly [number, number],
): Promise<ComposedMmaSong> {
  const song = planMmaSong(seed, families, durationRange);
  const stems = stemsFromMidi(await performWithMma(song));
  if (!stems.some((stem) => stem.instrument === 'vocals')) {
    const lead = leadStem(song, new Set(stems.flatMap((stem) => stem.channels)));
    if (lead) {
      if (stems.some((stem) => stem.name === lead.name)) lead.name = `${lead.name}-2`;
      stems.push(lead);
    }
  }
  return { plan: song, durationSeconds: songSeconds(song.plan), stems };
}
