import { Rng } from './random.js';
import { type SectionName, STYLES, type StylePreset } from './styles.js';
import { type Chord, diatonicChord, type Key, type Mode, PITCH_CLASS_NAMES } from './theory.js';

/**
 * The song plan: everything the parts follow. Key, mode, tempo, meter, swing, a section form and
 * the chord of every bar. Parts are generated from the plan (see `parts.ts`).
 */

export interface Section {
  name: SectionName;
  startBar: number;
  bars: number;
  /** 0..1 loudness/density of the section; choruses are the most energetic. */
  energy: number;
}

export interface SongPlan {
  seed: number;
  style: StylePreset;
  key: Key;
  tempo: number;
  beatsPerBar: number;
  swing: number;
  sections: Section[];
  /** One chord per bar. */
  chords: Chord[];
  bars: number;
}

export interface SongPlanOptions {
  /** Target song length range in seconds; the form is rounded to whole 4-bar blocks. */
  durationRange?: readonly [number, number];
  /** Force a style instead of drawing one from the seed. */
  style?: string;
  /** Force the meter (beats per bar) instead of the style's draw (the MMA source: the groove's). */
  beatsPerBar?: number;
  /** Tempo range instead of the style's (the MMA source: the groove family's). */
  tempoRange?: readonly [number, number];
  /**
   * Keep the song (bars + 1 s tail) inside durationRange whenever some whole number of 4-bar
   * blocks fits (corpus v2); without it the block count is rounded and may fall a little outside.
   */
  strictDuration?: boolean;
}

export const DEFAULT_DURATION_RANGE: readonly [number, number] = [30, 60];

const SECTION_ENERGY: Record<SectionName, number> = {
  intro: 0.75,
  verse: 0.85,
  chorus: 1,
  bridge: 0.8,
  outro: 0.7,
};

/** The style of a song is a pure function of its seed, so splits can be decided before rendering. */
export function styleForSeed(seed: number): StylePreset {
  const rng = new Rng(seed).fork('style');
  return rng.weighted(STYLES.map((style) => [style, style.weight] as const));
}

export function barSeconds(plan: Pick<SongPlan, 'tempo' | 'beatsPerBar'>): number {
  return (plan.beatsPerBar * 60) / plan.tempo;
}

/** Song length in seconds: all bars plus a short tail for the last notes to ring out. */
export function songSeconds(plan: Pick<SongPlan, 'tempo' | 'beatsPerBar' | 'bars'>): number {
  return plan.bars * barSeconds(plan) + 1;
}

function blockLabels(blocks: number, rng: Rng): SectionName[] {
  const labels: SectionName[] = [];
  const hasIntro = blocks >= 4;
  const hasOutro = blocks >= 6;
  const body = blocks - (hasIntro ? 1 : 0) - (hasOutro ? 1 : 0);
  const versesPerRound = rng.pick([1, 2]);
  const chorusesPerRound = rng.pick([1, 2]);
  const round: SectionName[] = [
    ...Array<SectionName>(versesPerRound).fill('verse'),
    ...Array<SectionName>(chorusesPerRound).fill('chorus'),
  ];
  let roundIndex = 0;
  while (labels.length < body) {
    // A bridge before the last chorus, as songs often do, once there has been a full round.
    if (roundIndex >= 2 && !labels.includes('bridge') && body - labels.length >= 2 && rng.chance(0.6)) {
      labels.push('bridge');
      continue;
    }
    labels.push(...round.slice(0, body - labels.length));
    roundIndex++;
  }
  return [...(hasIntro ? ['intro' as const] : []), ...labels, ...(hasOutro ? ['outro' as const] : [])];
}

function buildSections(totalBars: number, rng: Rng): Section[] {
  const sections: Section[] = [];
  for (const [block, name] of blockLabels(totalBars / 4, rng).entries()) {
    const last = sections[sections.length - 1];
    if (last && last.name === name) last.bars += 4;
    else sections.push({ name, startBar: block * 4, bars: 4, energy: SECTION_ENERGY[name] });
  }
  return sections;
}

export function generateSongPlan(seed: number, options: SongPlanOptions = {}): SongPlan {
  const rng = new Rng(seed);
  const style = options.style
    ? (STYLES.find((candidate) => candidate.name === options.style) ?? styleForSeed(seed))
    : styleForSeed(seed);
  // Both draws happen with or without the overrides, so the rest of the plan stays the same.
  const [minTempo, maxTempo] = options.tempoRange ?? style.tempo;
  const tempo = rng.int(minTempo, maxTempo);
  const drawnMeter = rng.weighted(style.meters);
  const beatsPerBar = options.beatsPerBar ?? drawnMeter;
  const mode: Mode = rng.weighted(style.modes);
  const key: Key = { tonic: rng.int(0, 11), mode };
  const swing = rng.uniform(style.swing[0], style.swing[1]);
  const [minSeconds, maxSeconds] = options.durationRange ?? DEFAULT_DURATION_RANGE;
  const targetSeconds = rng.uniform(minSeconds, maxSeconds);
  const secondsPerBar = barSeconds({ tempo, beatsPerBar });
  let blocks = Math.max(1, Math.round(targetSeconds / secondsPerBar / 4));
  if (options.strictDuration) {
    const blockSeconds = 4 * secondsPerBar;
    const fewest = Math.max(1, Math.ceil((minSeconds - 1) / blockSeconds));
    const most = Math.floor((maxSeconds - 1) / blockSeconds);
    if (fewest <= most) blocks = Math.min(most, Math.max(fewest, blocks));
  }
  const bars = blocks * 4;
  const sections = buildSections(bars, rng);
  const sevenths = rng.chance(style.sevenths);
  const progressionFor = {
    verse: rng.pick(style.progressions.verse),
    chorus: rng.pick(style.progressions.chorus),
    bridge: rng.pick(style.progressions.bridge),
  };
  const chords: Chord[] = [];
  for (const section of sections) {
    const kind = section.name === 'intro' ? 'verse' : section.name === 'outro' ? 'chorus' : section.name;
    const progression = progressionFor[kind];
    for (let bar = 0; bar < section.bars; bar++) {
      const degree = section.name === 'outro' && bar === section.bars - 1 ? '1' : progression[bar % 4];
      chords.push(diatonicChord(key, degree, sevenths));
    }
  }
  return { seed, style, key, tempo, beatsPerBar, swing, sections, chords, bars };
}

export function keyName(key: Key): string {
  return `${PITCH_CLASS_NAMES[key.tonic]} ${key.mode}`;
}

export function sectionAtBar(plan: SongPlan, bar: number): Section {
  const section = plan.sections.find(
    (candidate) => bar >= candidate.startBar && bar < candidate.startBar + candidate.bars,
  );
  if (!section) throw new RangeError(`bar ${bar} outside the song`);
  return section;
}

/** What a song's meta.json says of its plan: the music, as both corpus generators record it. */
export function planMeta(plan: SongPlan, durationSeconds: number) {
  return {
    style: plan.style.name,
    key: { tonic: PITCH_CLASS_NAMES[plan.key.tonic], tonicPitchClass: plan.key.tonic, mode: plan.key.mode },
    tempo: plan.tempo,
    meter: `${plan.beatsPerBar}/4`,
    swing: Number(plan.swing.toFixed(3)),
    bars: plan.bars,
    barSeconds: barSeconds(plan),
    durationSeconds,
    sections: plan.sections.map(({ name, startBar, bars }) => ({ name, startBar, bars })),
    chords: plan.chords.map((chord, bar) => ({ bar, symbol: chord.symbol, rootPitchClass: chord.root })),
  };
}
