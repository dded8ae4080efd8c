import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Rng } from './random.js';

/**
 * Timbre variety for corpus v2: every stem of a song is rendered with a General MIDI SoundFont
 * drawn for that stem from a pool of Debian soundfonts, plus per-stem render settings (velocity
 * scale, reverb and chorus sends, an EQ tilt) and per-song reverb/chorus parameters. The
 * held-out SoundFont (TimGM6mb) is never in a training pool: it only renders the
 * `heldout_timbre` twins of the test songs.
 */

export interface SoundFont {
  /** Short stable name stored in meta.json. */
  name: string;
  path: string;
  /** Debian package that installs it. */
  debianPackage: string;
  /** Relative weight in the melodic / drum draws (0: never drawn for that kind of stem). */
  melodicWeight: number;
  drumWeight: number;
  /**
   * A single drum kit stored as a melodic preset (bank 0, program 0) instead of GM bank 128:
   * drum stems are moved off the drum channel to play it.
   */
  kitAsMelodicPreset?: boolean;
}

export const HELD_OUT_SOUNDFONT: SoundFont = {
  name: 'TimGM6mb',
  path: '/usr/share/sounds/sf2/TimGM6mb.sf2',
  debianPackage: 'timgm6mb-soundfont',
  melodicWeight: 1,
  drumWeight: 1,
};

/** The training pool of `npm run corpus` (install: `bash scripts/setup-corpus.sh`). */
export const TRAINING_SOUNDFONTS: readonly SoundFont[] = [
  {
    name: 'FluidR3_GM',
    path: '/usr/share/sounds/sf2/FluidR3_GM.sf2',
    debianPackage: 'fluid-soundfont-gm',
    melodicWeight: 3,
    drumWeight: 3,
  },
  {
    name: 'MuseScore_General_Lite',
    path: '/usr/share/sounds/sf3/MuseScore_General_Lite.sf3',
    debianPackage: 'musescore-general-soundfont-small',
    melodicWeight: 3,
    drumWeight: 2,
  },
  {
    name: 'sf_GMbank',
    path: '/usr/share/sounds/sf2/sf_GMbank.sf2',
    debianPackage: 'csound-soundfont',
    melodicWeight: 2,
    drumWeight: 1,
  },
  {
    name: 'OPL-3_FM_128M',
    path: '/usr/share/sounds/sf2/OPL-3_FM_128M.sf2',
    debianPackage: 'opl3-soundfont',
    melodicWeight: 1,
    drumWeight: 0.5,
  },
  {
    name: 'AVL_Black_Pearl_4',
    path: '/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2',
    debianPackage: 'avldrums.lv2-soundfont',
    melodicWeight: 0,
    drumWeight: 1.5,
    kitAsMelodicPreset: true,
  },
  {
    name: 'AVL_Red_Zeppelin_4',
    path: '/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2',
    debianPackage: 'avldrums.lv2-soundfont',
    melodicWeight: 0,
    drumWeight: 1.5,
    kitAsMelodicPreset: true,
  },
];

/**
 * The small pool the tests render with: the two soundfonts `scripts/setup.sh` installs (FluidR3
 * and csound's 4 MB GM bank), so CI needs no large downloads.
 */
export const TEST_SOUNDFONTS: readonly SoundFont[] = TRAINING_SOUNDFONTS.filter((font) =>
  ['FluidR3_GM', 'sf_GMbank'].includes(font.name),
);

export function isHeldOutSoundFont(nameOrPath: string): boolean {
  return nameOrPath === HELD_OUT_SOUNDFONT.name || basename(nameOrPath) === basename(HELD_OUT_SOUNDFONT.path);
}

export class TimbreError extends Error {
  readonly code = 'SOUNDFONT_MISSING';
}

/** Refuses a pool with a missing file or the held-out SoundFont, naming the package to install. */
export function checkTrainingPool(pool: readonly SoundFont[]): void {
  for (const font of pool) {
    if (isHeldOutSoundFont(font.name) || isHeldOutSoundFont(font.path))
      throw new TimbreError(`${font.name} is the held-out SoundFont; it may not render training songs`);
    if (!existsSync(font.path))
      throw new TimbreError(
        `SoundFont ${font.path} not found: apt-get install ${font.debianPackage} (or bash scripts/setup-corpus.sh)`,
      );
  }
  if (!pool.some((font) => font.melodicWeight > 0) || !pool.some((font) => font.drumWeight > 0))
    throw new TimbreError('the SoundFont pool needs at least one melodic and one drum SoundFont');
}

const presetCache = new Map<string, Set<number>>();

/**
 * The presets of a SoundFont as `bank * 128 + program`, read from its `phdr` chunk (SF2 and SF3
 * share the RIFF layout), so a drum kit the font lacks can fall back to its standard kit.
 */
export function soundFontPresets(path: string): Set<number> {
  const cached = presetCache.get(path);
  if (cached) return cached;
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const header = Buffer.alloc(12);
    readSync(fd, header, 0, 12, 0);
    if (header.toString('latin1', 0, 4) !== 'RIFF') throw new TimbreError(`${path} is not a SoundFont`);
    const presets = new Set<number>();
    let at = 12;
    const chunk = Buffer.alloc(12);
    while (at + 8 <= size) {
      readSync(fd, chunk, 0, 12, at);
      const id = chunk.toString('latin1', 0, 4);
      const length = chunk.readUInt32LE(4);
      if (id === 'LIST') {
        if (chunk.toString('latin1', 8, 12) === 'pdta') {
          at += 12;
          continue;
        }
      } else if (id === 'phdr') {
        const records = Buffer.alloc(length);
        readSync(fd, records, 0, length, at + 8);
        // 38-byte records; the last one is the terminal "EOP" record.
        for (let r = 0; r + 38 <= length - 38; r += 38)
          presets.add(records.readUInt16LE(r + 22) * 128 + records.readUInt16LE(r + 20));
        break;
      }
      at += 8 + length;
      if (length & 1) {
        // RIFF pads odd chunks to even length, but some SF3 writers do not: take the pad byte
        // only when the next chunk id is not already at the unpadded position.
        readSync(fd, chunk, 0, 4, at);
        if (!/^[A-Za-z]{4}$/.test(chunk.toString('latin1', 0, 4))) at += 1;
      }
    }
    presetCache.set(path, presets);
    return presets;
  } finally {
    closeSync(fd);
  }
}

/** How one stem is rendered. */
export interface StemTimbre {
  soundfont: SoundFont;
  /** Note velocities are multiplied by this (velocity layers and filters change the sound). */
  velocityScale: number;
  /** CC91 / CC93 sends, 0..127. */
  reverbSend: number;
  chorusSend: number;
  /** Spectral tilt in dB: +t lifts the highs and lowers the lows by t/2 around ~800 Hz. */
  tiltDb: number;
}

/** Per-song reverb and chorus of every fluidsynth process of the song. */
export interface SongEffects {
  roomSize: number;
  damp: number;
  width: number;
  reverbLevel: number;
  chorusDepth: number;
  chorusLevel: number;
  chorusVoices: number;
  chorusSpeed: number;
}

export function drawSongEffects(rng: Rng): SongEffects {
  return {
    roomSize: round(rng.uniform(0.1, 0.8)),
    damp: round(rng.uniform(0.1, 0.7)),
    width: round(rng.uniform(0.3, 1)),
    reverbLevel: round(rng.uniform(0.3, 0.9)),
    chorusDepth: round(rng.uniform(2, 10)),
    chorusLevel: round(rng.uniform(0.5, 2)),
    chorusVoices: rng.int(2, 4),
    chorusSpeed: round(rng.uniform(0.2, 0.8)),
  };
}

function round(value: number): number {
  return Number(value.toFixed(3));
}

/** Draws a stem's timbre from the pool (the held-out twin passes a pool of just TimGM6mb). */
export function drawStemTimbre(rng: Rng, pool: readonly SoundFont[], drums: boolean): StemTimbre {
  const soundfont = rng.weighted(
    pool
      .map((font) => [font, drums ? font.drumWeight : font.melodicWeight] as const)
      .filter(([, w]) => w > 0),
  );
  // Dry most of the time: a dry stem is what a catalogue's stems often are.
  const wet = rng.chance(0.6);
  return {
    soundfont,
    velocityScale: round(rng.uniform(0.75, 1.15)),
    reverbSend: wet ? rng.int(10, 90) : 0,
    chorusSend: rng.chance(0.3) ? rng.int(10, 70) : 0,
    tiltDb: round(rng.uniform(-6, 6)),
  };
}

/**
 * The EQ tilt, in place: a one-pole low-pass at ~800 Hz splits the signal; the low part is scaled
 * by -tilt/2 dB and the rest by +tilt/2 dB. Cheap, phase-smooth, and audibly brighter or darker.
 */
export function applyTilt(samples: Float32Array, tiltDb: number, sampleRate: number): void {
  if (tiltDb === 0) return;
  const lowGain = 10 ** (-tiltDb / 40);
  const highGain = 10 ** (tiltDb / 40);
  const a = Math.exp((-2 * Math.PI * 800) / sampleRate);
  let low = 0;
  for (let i = 0; i < samples.length; i++) {
    low = (1 - a) * samples[i] + a * low;
    samples[i] = lowGain * low + highGain * (samples[i] - low);
  }
}
