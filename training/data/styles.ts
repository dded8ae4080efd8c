import type { DrumKit } from './programs.js';
import type { Mode } from './theory.js';

/**
 * Style presets: each changes tempo range, meter, harmony, grooves, playing patterns, instruments
 * and mix levels, so the corpus covers several idioms rather than one song template.
 */

export type GrooveFamily = 'rock' | 'funk' | 'fourOnFloor' | 'halfTime' | 'swingRide' | 'boomBap' | 'waltz';
export type BassPattern = 'roots' | 'rootFifth' | 'walking' | 'syncopated' | 'octaves';
export type KeysPattern = 'block' | 'arpeggio' | 'comping' | 'offbeatStabs';
export type GuitarPattern = 'strum' | 'powerRiff' | 'funkChops' | 'picking';
export type OtherPattern = 'stabs' | 'sustain' | 'comping';
export type SectionName = 'intro' | 'verse' | 'chorus' | 'bridge' | 'outro';

/** A weighted choice: [value, weight]. */
export type Weighted<T> = readonly (readonly [T, number])[];

export interface PartPreset<P> {
  /** Probability the song has this part at all. */
  probability: number;
  programs: Weighted<number>;
  patterns: Weighted<P>;
  /** Mix level in dB relative to the other parts, before random variation. */
  levelDb: number;
}

export interface StylePreset {
  name: string;
  /** Relative frequency of the style in the corpus. */
  weight: number;
  tempo: readonly [number, number];
  /** Beats per bar (quarter-note beats). */
  meters: Weighted<number>;
  modes: Weighted<Mode>;
  /** Off-beat placement within a beat: 0.5 is straight, ~0.66 is a triplet swing. */
  swing: readonly [number, number];
  /** Probability that chords carry sevenths. */
  sevenths: number;
  /** 4-bar progressions in scale degrees, per section. */
  progressions: Readonly<Record<'verse' | 'chorus' | 'bridge', readonly (readonly string[])[]>>;
  /** Humanisation: timing std (seconds) and velocity std. */
  timingJitter: number;
  velocityJitter: number;
  drums: { probability: number; kits: Weighted<DrumKit>; grooves: Weighted<GrooveFamily>; levelDb: number };
  bass: PartPreset<BassPattern>;
  keys: PartPreset<KeysPattern>;
  guitar: PartPreset<GuitarPattern>;
  pad: PartPreset<'sustain'>;
  lead: PartPreset<'melody'>;
  other: PartPreset<OtherPattern>;
}

const POP_PROGRESSIONS = {
  verse: [
    ['1', '5', '6', '4'],
    ['1', '6', '4', '5'],
    ['6', '4', '1', '5'],
    ['1', '4', '6', '5'],
  ],
  chorus: [
    ['4', '5', '1', '6'],
    ['1', '5', '6', '4'],
    ['4', '1', '5', '5'],
  ],
  bridge: [
    ['2', '5', '1', '1'],
    ['4', '4', '5', '5'],
    ['6', '5', '4', '5'],
  ],
} as const;

const LEAD_VOICES: Weighted<number> = [
  [53, 5],
  [54, 3],
  [85, 2],
  [52, 1],
];

export const STYLES: readonly StylePreset[] = [
  {
    name: 'rock',
    weight: 3,
    tempo: [96, 160],
    meters: [[4, 1]],
    modes: [
      ['major', 3],
      ['minor', 2],
      ['mixolydian', 1],
    ],
    swing: [0.5, 0.52],
    sevenths: 0.05,
    progressions: {
      verse: [...POP_PROGRESSIONS.verse, ['1', 'b7', '4', '1']],
      chorus: [...POP_PROGRESSIONS.chorus, ['1', 'b7', '4', '4']],
      bridge: POP_PROGRESSIONS.bridge,
    },
    timingJitter: 0.008,
    velocityJitter: 8,
    drums: {
      probability: 1,
      kits: [
        ['standard', 2],
        ['room', 1],
        ['power', 2],
      ],
      grooves: [
        ['rock', 4],
        ['halfTime', 1],
      ],
      levelDb: 0,
    },
    bass: {
      probability: 1,
      programs: [
        [33, 2],
        [34, 3],
      ],
      patterns: [
        ['roots', 3],
        ['rootFifth', 2],
        ['octaves', 1],
      ],
      levelDb: -2,
    },
    keys: {
      probability: 0.6,
      programs: [
        [0, 2],
        [1, 1],
        [4, 1],
      ],
      patterns: [
        ['block', 2],
        ['arpeggio', 1],
      ],
      levelDb: -6,
    },
    guitar: {
      probability: 0.95,
      programs: [
        [29, 2],
        [30, 2],
        [25, 1],
        [27, 1],
      ],
      patterns: [
        ['powerRiff', 3],
        ['strum', 2],
      ],
      levelDb: -3,
    },
    pad: {
      probability: 0.3,
      programs: [
        [48, 2],
        [89, 1],
      ],
      patterns: [['sustain', 1]],
      levelDb: -9,
    },
    lead: { probability: 1, programs: [...LEAD_VOICES, [81, 1]], patterns: [['melody', 1]], levelDb: -2 },
    other: {
      probability: 0.35,
      programs: [
        [18, 2],
        [16, 1],
      ],
      patterns: [['sustain', 1]],
      levelDb: -9,
    },
  },
  {
    name: 'funk',
    weight: 2,
    tempo: [90, 118],
    meters: [[4, 1]],
    modes: [
      ['dorian', 3],
      ['mixolydian', 2],
      ['minor', 1],
    ],
    swing: [0.5, 0.56],
    sevenths: 0.8,
    progressions: {
      verse: [
        ['1', '1', '4', '4'],
        ['1', '4', '1', '4'],
        ['1', '1', '1', '4'],
      ],
      chorus: [
        ['4', '4', '1', '1'],
        ['2', '5', '1', '1'],
        ['4', '5', '1', '1'],
      ],
      bridge: [
        ['b7', 'b7', '4', '4'],
        ['5', '4', '5', '4'],
      ],
    },
    timingJitter: 0.006,
    velocityJitter: 10,
    drums: {
      probability: 1,
      kits: [
        ['standard', 2],
        ['room', 1],
      ],
      grooves: [['funk', 1]],
      levelDb: 0,
    },
    bass: {
      probability: 1,
      programs: [
        [36, 2],
        [33, 2],
        [38, 1],
      ],
      patterns: [
        ['syncopated', 4],
        ['octaves', 1],
      ],
      levelDb: -1,
    },
    keys: {
      probability: 0.8,
      programs: [
        [7, 3],
        [4, 2],
        [5, 1],
      ],
      patterns: [
        ['comping', 3],
        ['offbeatStabs', 1],
      ],
      levelDb: -6,
    },
    guitar: {
      probability: 0.9,
      programs: [
        [28, 2],
        [27, 3],
      ],
      patterns: [['funkChops', 1]],
      levelDb: -5,
    },
    pad: { probability: 0.2, programs: [[90, 1]], patterns: [['sustain', 1]], levelDb: -10 },
    lead: {
      probability: 1,
      programs: [...LEAD_VOICES, [65, 1], [66, 1]],
      patterns: [['melody', 1]],
      levelDb: -2,
    },
    other: {
      probability: 0.6,
      programs: [
        [61, 3],
        [56, 1],
        [62, 1],
      ],
      patterns: [['stabs', 1]],
      levelDb: -6,
    },
  },
  {
    name: 'house',
    weight: 2,
    tempo: [118, 128],
    meters: [[4, 1]],
    modes: [
      ['minor', 3],
      ['dorian', 2],
      ['major', 1],
    ],
    swing: [0.5, 0.54],
    sevenths: 0.6,
    progressions: {
      verse: [
        ['1', '1', '6', '6'],
        ['1', '4', '1', '4'],
        ['1', '7', '6', '7'],
      ],
      chorus: [
        ['6', '7', '1', '1'],
        ['4', '5', '1', '1'],
        ['1', '6', '4', '5'],
      ],
      bridge: [
        ['4', '4', '4', '4'],
        ['6', '6', '7', '7'],
      ],
    },
    timingJitter: 0.002,
    velocityJitter: 5,
    drums: {
      probability: 1,
      kits: [
        ['electronic', 2],
        ['tr808', 2],
        ['standard', 1],
      ],
      grooves: [['fourOnFloor', 1]],
      levelDb: 0,
    },
    bass: {
      probability: 1,
      programs: [
        [38, 3],
        [39, 2],
        [87, 1],
      ],
      patterns: [
        ['octaves', 3],
        ['syncopated', 1],
      ],
      levelDb: -2,
    },
    keys: {
      probability: 0.8,
      programs: [
        [0, 2],
        [4, 1],
      ],
      patterns: [['offbeatStabs', 1]],
      levelDb: -6,
    },
    guitar: { probability: 0.15, programs: [[28, 1]], patterns: [['funkChops', 1]], levelDb: -8 },
    pad: {
      probability: 0.8,
      programs: [
        [88, 1],
        [89, 1],
        [94, 1],
        [95, 1],
        [50, 1],
      ],
      patterns: [['sustain', 1]],
      levelDb: -8,
    },
    lead: {
      probability: 1,
      programs: [...LEAD_VOICES, [80, 1], [81, 1]],
      patterns: [['melody', 1]],
      levelDb: -3,
    },
    other: {
      probability: 0.4,
      programs: [
        [16, 2],
        [62, 1],
      ],
      patterns: [['stabs', 1]],
      levelDb: -8,
    },
  },
  {
    name: 'ballad',
    weight: 2,
    tempo: [60, 84],
    meters: [
      [4, 3],
      [3, 1],
    ],
    modes: [
      ['major', 3],
      ['minor', 2],
    ],
    swing: [0.5, 0.5],
    sevenths: 0.3,
    progressions: {
      verse: [...POP_PROGRESSIONS.verse, ['1', '3', '4', '5']],
      chorus: POP_PROGRESSIONS.chorus,
      bridge: [...POP_PROGRESSIONS.bridge, ['4', '5', '3', '6']],
    },
    timingJitter: 0.012,
    velocityJitter: 7,
    drums: {
      probability: 0.85,
      kits: [
        ['standard', 2],
        ['brush', 1],
        ['room', 1],
      ],
      grooves: [['halfTime', 1]],
      levelDb: -3,
    },
    bass: {
      probability: 1,
      programs: [
        [33, 2],
        [35, 2],
        [32, 1],
      ],
      patterns: [
        ['roots', 3],
        ['rootFifth', 2],
      ],
      levelDb: -3,
    },
    keys: {
      probability: 0.95,
      programs: [
        [0, 4],
        [4, 2],
        [1, 1],
      ],
      patterns: [
        ['arpeggio', 3],
        ['block', 2],
      ],
      levelDb: -3,
    },
    guitar: {
      probability: 0.4,
      programs: [
        [24, 2],
        [25, 2],
      ],
      patterns: [
        ['picking', 2],
        ['strum', 1],
      ],
      levelDb: -6,
    },
    pad: {
      probability: 0.7,
      programs: [
        [48, 3],
        [49, 2],
        [42, 1],
        [89, 1],
      ],
      patterns: [['sustain', 1]],
      levelDb: -7,
    },
    lead: {
      probability: 1,
      programs: [...LEAD_VOICES, [73, 1], [40, 1]],
      patterns: [['melody', 1]],
      levelDb: -1,
    },
    other: { probability: 0.15, programs: [[11, 1]], patterns: [['sustain', 1]], levelDb: -10 },
  },
  {
    name: 'hiphop',
    weight: 2,
    tempo: [78, 98],
    meters: [[4, 1]],
    modes: [
      ['minor', 3],
      ['dorian', 2],
    ],
    swing: [0.54, 0.62],
    sevenths: 0.6,
    progressions: {
      verse: [
        ['1', '1', '6', '6'],
        ['1', '4', '1', '4'],
        ['1', '6', '3', '7'],
      ],
      chorus: [
        ['6', '7', '1', '1'],
        ['4', '4', '1', '1'],
        ['1', '6', '4', '5'],
      ],
      bridge: [
        ['4', '4', '6', '6'],
        ['6', '6', '7', '7'],
      ],
    },
    timingJitter: 0.01,
    velocityJitter: 9,
    drums: {
      probability: 1,
      kits: [
        ['tr808', 2],
        ['standard', 2],
        ['room', 1],
      ],
      grooves: [['boomBap', 1]],
      levelDb: 0,
    },
    bass: {
      probability: 1,
      programs: [
        [38, 2],
        [33, 2],
        [32, 1],
      ],
      patterns: [
        ['syncopated', 2],
        ['roots', 2],
      ],
      levelDb: -1,
    },
    keys: {
      probability: 0.85,
      programs: [
        [4, 3],
        [5, 1],
        [0, 2],
      ],
      patterns: [
        ['block', 2],
        ['arpeggio', 1],
        ['comping', 1],
      ],
      levelDb: -5,
    },
    guitar: {
      probability: 0.25,
      programs: [
        [26, 1],
        [27, 1],
      ],
      patterns: [['picking', 1]],
      levelDb: -8,
    },
    pad: {
      probability: 0.5,
      programs: [
        [48, 1],
        [89, 1],
        [88, 1],
      ],
      patterns: [['sustain', 1]],
      levelDb: -9,
    },
    lead: { probability: 1, programs: [...LEAD_VOICES, [73, 1]], patterns: [['melody', 1]], levelDb: -2 },
    other: {
      probability: 0.35,
      programs: [
        [11, 1],
        [71, 1],
        [61, 1],
      ],
      patterns: [
        ['stabs', 1],
        ['sustain', 1],
      ],
      levelDb: -8,
    },
  },
  {
    name: 'jazz',
    weight: 1,
    tempo: [100, 180],
    meters: [
      [4, 4],
      [3, 1],
    ],
    modes: [
      ['major', 3],
      ['minor', 1],
    ],
    swing: [0.6, 0.67],
    sevenths: 1,
    progressions: {
      verse: [
        ['2', '5', '1', '1'],
        ['1', '6', '2', '5'],
        ['3', '6', '2', '5'],
      ],
      chorus: [
        ['4', '4', '3', '6'],
        ['2', '5', '3', '6'],
        ['1', '4', '2', '5'],
      ],
      bridge: [
        ['4', 'b7', '1', '1'],
        ['2', '5', '2', '5'],
      ],
    },
    timingJitter: 0.01,
    velocityJitter: 10,
    drums: {
      probability: 1,
      kits: [
        ['jazz', 2],
        ['brush', 2],
      ],
      grooves: [['swingRide', 1]],
      levelDb: -4,
    },
    bass: {
      probability: 1,
      programs: [
        [32, 3],
        [33, 1],
      ],
      patterns: [['walking', 1]],
      levelDb: -1,
    },
    keys: {
      probability: 0.95,
      programs: [
        [0, 3],
        [4, 1],
      ],
      patterns: [['comping', 1]],
      levelDb: -4,
    },
    guitar: { probability: 0.35, programs: [[26, 1]], patterns: [['strum', 1]], levelDb: -7 },
    pad: { probability: 0.15, programs: [[48, 1]], patterns: [['sustain', 1]], levelDb: -10 },
    lead: {
      probability: 1,
      programs: [...LEAD_VOICES, [65, 2], [66, 2], [56, 1]],
      patterns: [['melody', 1]],
      levelDb: -1,
    },
    other: {
      probability: 0.4,
      programs: [
        [11, 2],
        [57, 1],
      ],
      patterns: [['comping', 1]],
      levelDb: -8,
    },
  },
];

/** The style never used for training or validation: its songs form the `heldout_style` split. */
export const HELDOUT_STYLE = 'jazz';

export function styleByName(name: string): StylePreset {
  const style = STYLES.find((candidate) => candidate.name === name);
  if (!style) throw new RangeError(`unknown style ${name}`);
  return style;
}
