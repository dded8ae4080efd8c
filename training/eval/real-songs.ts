import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { encodeWav, parseWav } from '../../src/audio/wav.js';
import type { Instrument } from '../../src/instruments.js';
import { INSTRUMENTS } from '../../src/instruments.js';
import { DRUM_CHANNEL, labelForStem } from '../data/programs.js';
import { type RenderableScore, renderStems } from '../data/render.js';
import type { PerformedNote } from '../data/score.js';
import { evenlySpaced } from './corpus-source.js';
import type { EvalSong, SongSource } from './types.js';

/**
 * The `real_songs` split: the ten human-composed General MIDI songs of Debian's
 * `planetblupi-music-midi`, never used for training. Each file is split by MIDI channel and
 * program into parts; a part's instrument label comes from its GM program exactly as in the
 * corpus (`labelForStem`), and the parts of one label are summed into that label's stem. Every
 * part is rendered like the corpus (fluidsynth, FluidR3_GM, dry, 16 kHz; the song's own volume,
 * pan and pitch-bend controllers are not played, as the corpus renderer plays notes only) and
 * the mix is the sum of the stems. Renders are cached under `<cacheDir>/real-songs`.
 */

export const REAL_SONGS_DIR = '/usr/share/planetblupi/music';
export const REAL_SONGS_SPLIT = 'real_songs';
/** Bump when the parsing or rendering of the real songs changes, so cached renders are redone. */
const RENDER_VERSION = 1;
/** Rendered past the last note-off so release tails are kept. */
const TAIL_SECONDS = 1;
/**
 * The songs are game loops of 10-28 minutes; each is evaluated on its first minute from the first
 * note, the length of a corpus song, so the split costs what a few corpus songs cost.
 */
export const REAL_SONG_SECONDS = 60;

export class RealSongsMissingError extends Error {
  readonly code = 'EVAL_REAL_SONGS_MISSING';
  constructor(dir: string) {
    super(`no MIDI files in ${dir}: apt-get install planetblupi-music-midi to evaluate the real_songs split`);
    this.name = 'RealSongsMissingError';
  }
}

export class MidiParseError extends Error {
  readonly code = 'MIDI_PARSE';
}

/** A Standard MIDI File reduced to what rendering and the protocols need. */
export interface ParsedMidi {
  /** One part per (channel, program) that plays notes; drums are one part per drum channel. */
  parts: { channel: number; program: number; notes: PerformedNote[] }[];
  durationSeconds: number;
  /** First tempo in BPM (120 when the file sets none). */
  tempo: number;
  /** Seconds per bar from the first tempo and time signature (4/4 when the file sets none). */
  barSeconds: number;
}

interface RawEvent {
  tick: number;
  /** Track order breaks ties, so a tempo change at a tick applies before notes at that tick. */
  order: number;
  status: number;
  data: Uint8Array;
}

/** Parses format 0 and 1 files with ticks-per-quarter timing (SMPTE timing is refused). */
export function parseMidi(bytes: Uint8Array): ParsedMidi {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fourCC = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 14 || fourCC(0) !== 'MThd') throw new MidiParseError('not a Standard MIDI File');
  const tracks = view.getUint16(10);
  const division = view.getUint16(12);
  if (division & 0x8000) throw new MidiParseError('SMPTE time division is not supported');
  const events: RawEvent[] = [];
  let at = 8 + view.getUint32(4);
  for (let track = 0; track < tracks; track++) {
    if (at + 8 > bytes.length || fourCC(at) !== 'MTrk') throw new MidiParseError(`track ${track} missing`);
    const end = at + 8 + view.getUint32(at + 4);
    readTrack(bytes.subarray(at + 8, Math.min(end, bytes.length)), track, events);
    at = end;
  }
  events.sort((a, b) => a.tick - b.tick || a.order - b.order);
  return interpret(events, division);
}

function readTrack(track: Uint8Array, index: number, out: RawEvent[]): void {
  let at = 0;
  let tick = 0;
  let running = 0;
  const varLen = (): number => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const byte = track[at++];
      if (byte === undefined) throw new MidiParseError('truncated variable-length number');
      value = (value << 7) | (byte & 0x7f);
      if (!(byte & 0x80)) return value;
    }
    throw new MidiParseError('variable-length number longer than 4 bytes');
  };
  while (at < track.length) {
    tick += varLen();
    let status = track[at];
    if (status & 0x80) at++;
    else status = running; // running status: the data byte belongs to the previous status
    if (status === 0xff) {
      const type = track[at++];
      const length = varLen();
      out.push({ tick, order: index, status: 0xff00 | type, data: track.subarray(at, at + length) });
      at += length;
      if (type === 0x2f) return;
    } else if (status === 0xf0 || status === 0xf7) {
      at += varLen();
    } else if (status & 0x80) {
      running = status;
      const size = (status & 0xf0) === 0xc0 || (status & 0xf0) === 0xd0 ? 1 : 2;
      out.push({ tick, order: index, status, data: track.subarray(at, at + size) });
      at += size;
    } else {
      throw new MidiParseError(`data byte without a status at track ${index}, byte ${at}`);
    }
  }
}

function interpret(events: RawEvent[], division: number): ParsedMidi {
  let tempoMicros = 500_000;
  let firstTempo: number | null = null;
  let meter: { beats: number; unit: number } | null = null;
  let lastTick = 0;
  let seconds = 0;
  const programs = new Array<number>(16).fill(0);
  const open = new Map<string, { time: number; velocity: number; program: number }[]>();
  const parts = new Map<string, ParsedMidi['parts'][number]>();
  let end = 0;
  for (const event of events) {
    seconds += ((event.tick - lastTick) * tempoMicros) / 1e6 / division;
    lastTick = event.tick;
    if (event.status === 0xff51 && event.data.length === 3) {
      tempoMicros = (event.data[0] << 16) | (event.data[1] << 8) | event.data[2];
      firstTempo ??= 60e6 / tempoMicros;
      continue;
    }
    if (event.status === 0xff58 && event.data.length >= 2) {
      meter ??= { beats: event.data[0], unit: 2 ** event.data[1] };
      continue;
    }
    const kind = event.status & 0xf0;
    const channel = event.status & 0x0f;
    if (kind === 0xc0) programs[channel] = event.data[0];
    if (kind !== 0x80 && kind !== 0x90) continue;
    const [pitch, velocity] = event.data;
    const key = `${channel}:${pitch}`;
    if (kind === 0x90 && velocity > 0) {
      const stack = open.get(key) ?? [];
      stack.push({ time: seconds, velocity, program: programs[channel] });
      open.set(key, stack);
      continue;
    }
    const started = open.get(key)?.shift();
    if (!started) continue;
    const program = channel === DRUM_CHANNEL ? 0 : started.program;
    const partKey = `${channel}:${program}`;
    let part = parts.get(partKey);
    if (!part) {
      part = { channel, program, notes: [] };
      parts.set(partKey, part);
    }
    part.notes.push({
      time: started.time,
      duration: Math.max(0.01, seconds - started.time),
      pitch,
      velocity: started.velocity,
    });
    end = Math.max(end, seconds);
  }
  const tempo = firstTempo ?? 120;
  const { beats, unit } = meter ?? { beats: 4, unit: 4 };
  return {
    parts: [...parts.values()].filter((part) => part.notes.length > 0),
    durationSeconds: end + TAIL_SECONDS,
    tempo,
    barSeconds: (beats * (60 / tempo) * 4) / unit,
  };
}

/** The `seconds` from the first note on: notes starting in it, shortened to end in it. */
export function excerptMidi(midi: ParsedMidi, seconds: number): ParsedMidi {
  let start = Number.POSITIVE_INFINITY;
  for (const part of midi.parts) for (const note of part.notes) start = Math.min(start, note.time);
  const end = start + seconds;
  const parts = midi.parts
    .map((part) => ({
      ...part,
      notes: part.notes
        .filter((note) => note.time < end)
        .map((note) => ({
          ...note,
          time: note.time - start,
          duration: Math.min(note.duration, end - note.time),
        })),
    }))
    .filter((part) => part.notes.length > 0);
  let last = 0;
  for (const part of parts) for (const note of part.notes) last = Math.max(last, note.time + note.duration);
  return { ...midi, parts, durationSeconds: last + TAIL_SECONDS };
}

/** A rendered real song: one stem per instrument label, at the render rate, mix = their sum. */
export interface RenderedRealSong {
  id: string;
  tempo: number;
  barSeconds: number;
  stems: { name: Instrument; signal: Float32Array }[];
}

/** Renders every part and sums the parts of each label. */
export async function renderRealSong(
  id: string,
  midi: ParsedMidi,
  sampleRate: number,
): Promise<RenderedRealSong> {
  const score: RenderableScore = {
    durationSeconds: midi.durationSeconds,
    stems: midi.parts.map((part, index) => ({ ...part, name: `part-${index}` })),
  };
  const { stems } = await renderStems(score, { sampleRate });
  const byLabel = new Map<Instrument, Float32Array>();
  midi.parts.forEach((part, index) => {
    const label = labelForStem(part);
    const signal = stems.get(`part-${index}`)!;
    const sum = byLabel.get(label);
    if (!sum) byLabel.set(label, Float32Array.from(signal));
    else for (let i = 0; i < sum.length; i++) sum[i] += signal[i];
  });
  return {
    id,
    tempo: midi.tempo,
    barSeconds: midi.barSeconds,
    stems: INSTRUMENTS.filter((label) => byLabel.has(label)).map((label) => ({
      name: label,
      signal: byLabel.get(label)!,
    })),
  };
}

interface CachedMeta {
  version: number;
  source: string;
  sha256: string;
  sampleRate: number;
  tempo: number;
  barSeconds: number;
  stems: string[];
}

/** The rendered song from the cache, rendering (and caching) it first when needed. */
async function cachedRender(file: string, cacheDir: string, sampleRate: number): Promise<RenderedRealSong> {
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const id = basename(file).replace(/\.midi?$/i, '');
  const dir = join(cacheDir, id);
  const metaPath = join(dir, 'meta.json');
  if (existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CachedMeta;
    if (meta.version === RENDER_VERSION && meta.sha256 === sha256 && meta.sampleRate === sampleRate) {
      return {
        id,
        tempo: meta.tempo,
        barSeconds: meta.barSeconds,
        stems: meta.stems.map((name) => ({
          name: name as Instrument,
          signal: parseWav(readFileSync(join(dir, `${name}.wav`))).channels[0],
        })),
      };
    }
  }
  const song = await renderRealSong(id, excerptMidi(parseMidi(bytes), REAL_SONG_SECONDS), sampleRate);
  mkdirSync(dir, { recursive: true });
  for (const stem of song.stems) {
    writeFileSync(
      join(dir, `${stem.name}.wav`),
      encodeWav([stem.signal], sampleRate, { bitDepth: 32, float: true }),
    );
  }
  const meta: CachedMeta = {
    version: RENDER_VERSION,
    source: file,
    sha256,
    sampleRate,
    tempo: song.tempo,
    barSeconds: song.barSeconds,
    stems: song.stems.map((stem) => stem.name),
  };
  writeFileSync(`${metaPath}.tmp`, `${JSON.stringify(meta, null, 1)}\n`);
  renameSync(`${metaPath}.tmp`, metaPath);
  return song;
}

export interface RealSongsOptions {
  /** Folder of the MIDI files (default: the Debian package's). */
  midiDir?: string;
  /** Where renders are cached (default `$STEMDEX_CACHE_DIR/real-songs`). */
  cacheDir: string;
  sampleRate: number;
  maxSongs?: number;
}

/** The MIDI files of the split, sorted; throws `RealSongsMissingError` when there are none. */
export function realSongFiles(midiDir = REAL_SONGS_DIR): string[] {
  const files = existsSync(midiDir)
    ? readdirSync(midiDir)
        .filter((name) => /\.midi?$/i.test(name))
        .sort()
        .map((name) => join(midiDir, name))
    : [];
  if (files.length === 0) throw new RealSongsMissingError(midiDir);
  return files;
}

/** The real songs as a `SongSource` (stems at their rendered level; the key is unknown: -1). */
export function realSongSource(options: RealSongsOptions): SongSource {
  const files = realSongFiles(options.midiDir);
  const chosen = evenlySpaced(files, options.maxSongs);
  const byId = new Map(chosen.map((file) => [basename(file).replace(/\.midi?$/i, ''), file]));
  return {
    ids: [...byId.keys()],
    async load(id: string): Promise<EvalSong> {
      const song = await cachedRender(byId.get(id)!, options.cacheDir, options.sampleRate);
      return {
        id,
        keyClass: -1,
        tempo: song.tempo,
        barSeconds: song.barSeconds,
        stems: song.stems.map((stem) => ({ name: stem.name, instrument: stem.name, signal: stem.signal })),
      };
    },
  };
}
