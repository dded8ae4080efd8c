import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { downmixToMono } from '../../src/audio/mono.js';
import { encodeMidiFile, type MidiEvent } from './midi.js';
import type { PerformedNote } from './score.js';

/** What rendering needs of a score (a generated `Score` is one; so is a parsed MIDI file's parts). */
export interface RenderableScore {
  durationSeconds: number;
  stems: readonly { name: string; channel: number; program: number; notes: readonly PerformedNote[] }[];
}

const run = promisify(execFile);

/**
 * Renders each stem of a score to its own mono signal with fluidsynth and a General MIDI
 * SoundFont. All stems go through one fluidsynth process: they are laid out one after another in
 * a single MIDI file, separated by silence long enough for release tails to die out, and the
 * output is cut back into stems. This loads the 148 MB SoundFont once per song instead of once
 * per stem. Reverb and chorus are off so each stem is the dry instrument and nothing of one stem
 * can ring into the next one's window.
 */

export const DEFAULT_SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';

/** Silence between stems in the combined render: longer than any release tail in FluidR3_GM. */
const STEM_GAP_SECONDS = 4;
/** fluidsynth master gain; stems are renormalised afterwards, this only keeps voices from clipping. */
const MASTER_GAIN = 0.5;

export interface RenderOptions {
  sampleRate: number;
  soundfont?: string;
  fluidsynth?: string;
}

export class RendererError extends Error {
  readonly code: 'RENDERER_MISSING' | 'RENDER_FAILED';
  constructor(code: 'RENDERER_MISSING' | 'RENDER_FAILED', message: string) {
    super(message);
    this.code = code;
  }
}

function stemEvents(score: RenderableScore, index: number, offset: number): MidiEvent[] {
  const stem = score.stems[index];
  const channel = stem.channel;
  const end = offset + score.durationSeconds - 0.05;
  const setup: MidiEvent[] = [
    { kind: 'control', time: offset, channel, controller: 121, value: 0 }, // reset controllers
    { kind: 'program', time: offset, channel, program: stem.program },
    { kind: 'control', time: offset, channel, controller: 7, value: 100 }, // volume
    { kind: 'control', time: offset, channel, controller: 10, value: 64 }, // pan centre
    { kind: 'control', time: offset, channel, controller: 91, value: 0 }, // reverb send
    { kind: 'control', time: offset, channel, controller: 93, value: 0 }, // chorus send
  ];
  const notes: MidiEvent[] = stem.notes
    .filter((note) => note.time < score.durationSeconds - 0.1)
    .map((note) => ({
      kind: 'note',
      time: offset + note.time,
      duration: Math.min(note.duration, end - (offset + note.time)),
      channel,
      pitch: note.pitch,
      velocity: note.velocity,
    }));
  return [...setup, ...notes];
}

/** The combined MIDI file and where each stem starts in it (seconds). */
export function combinedMidi(score: RenderableScore): {
  midi: Uint8Array;
  offsets: number[];
  totalSeconds: number;
} {
  // Whole seconds: every stem then starts on an exact MIDI tick and an exact sample, and on the
  // same phase of fluidsynth's 64-sample processing block, so stems stay sample-aligned.
  const stride = Math.ceil(score.durationSeconds + STEM_GAP_SECONDS);
  const offsets = score.stems.map((_, index) => index * stride);
  const events = score.stems.flatMap((_, index) => stemEvents(score, index, offsets[index]));
  const totalSeconds = score.stems.length * stride;
  // A final no-op event keeps the file (and so the render) running through the last gap.
  events.push({ kind: 'control', time: totalSeconds, channel: 0, controller: 7, value: 100 });
  return { midi: encodeMidiFile(events), offsets, totalSeconds };
}

const versions = new Map<string, Promise<string>>();

/** The fluidsynth version, asked once per binary (it also proves the binary runs). */
function fluidsynthVersion(binary: string): Promise<string> {
  let version = versions.get(binary);
  if (!version) {
    version = run(binary, ['--version']).then(
      ({ stdout }) => /FluidSynth runtime version (\S+)/.exec(stdout)?.[1] ?? 'unknown',
    );
    version.catch(() => versions.delete(binary));
    versions.set(binary, version);
  }
  return version;
}

export interface RenderedStems {
  stems: Map<string, Float32Array>;
  renderer: { name: 'fluidsynth'; version: string; soundfont: string; sampleRate: number };
}

export async function renderStems(score: RenderableScore, options: RenderOptions): Promise<RenderedStems> {
  const soundfont = options.soundfont ?? DEFAULT_SOUNDFONT;
  const binary = options.fluidsynth ?? 'fluidsynth';
  const version = await checkRenderer(binary, soundfont);
  const { midi, offsets } = combinedMidi(score);
  const args = ['-R', '0', '-C', '0', '-g', String(MASTER_GAIN)];
  const interleaved = await runFluidsynth(binary, soundfont, midi, options.sampleRate, args);
  const length = Math.round(score.durationSeconds * options.sampleRate);
  const stems = new Map<string, Float32Array>();
  score.stems.forEach((stem, index) => {
    stems.set(stem.name, cutStem(interleaved, Math.round(offsets[index] * options.sampleRate), length));
  });
  return { stems, renderer: { name: 'fluidsynth', version, soundfont, sampleRate: options.sampleRate } };
}

/** The fluidsynth version; throws RENDERER_MISSING when the binary or the SoundFont is absent. */
export async function checkRenderer(binary: string, soundfont: string): Promise<string> {
  if (!existsSync(soundfont)) {
    throw new RendererError(
      'RENDERER_MISSING',
      `SoundFont ${soundfont} not found (apt-get install fluid-soundfont-gm)`,
    );
  }
  try {
    return await fluidsynthVersion(binary);
  } catch {
    throw new RendererError('RENDERER_MISSING', `${binary} not runnable (apt-get install fluidsynth)`);
  }
}

/** Renders a MIDI file offline; returns interleaved stereo float samples. */
export async function runFluidsynth(
  binary: string,
  soundfont: string,
  midi: Uint8Array,
  sampleRate: number,
  settings: readonly string[],
): Promise<Float32Array> {
  const dir = await mkdtemp(join(tmpdir(), 'stemdex-render-'));
  try {
    const midiPath = join(dir, 'song.mid');
    const rawPath = join(dir, 'song.f32');
    await writeFile(midiPath, midi);
    const args = ['-ni', '-q', ...settings, '-r', String(sampleRate)];
    args.push('-T', 'raw', '-O', 'float', '-E', 'little', '-F', rawPath, soundfont, midiPath);
    try {
      await run(binary, args, { maxBuffer: 1 << 20 });
    } catch (error) {
      throw new RendererError('RENDER_FAILED', `fluidsynth failed: ${(error as Error).message}`);
    }
    const bytes = await readFile(rawPath);
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One stem's window of the combined render, downmixed to mono (zeros past the end of the render). */
export function cutStem(interleaved: Float32Array, start: number, length: number): Float32Array {
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const at = 2 * (start + i);
    if (at + 1 >= interleaved.length) break;
    left[i] = interleaved[at];
    right[i] = interleaved[at + 1];
  }
  return downmixToMono([left, right]);
}
