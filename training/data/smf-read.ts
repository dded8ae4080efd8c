import type { MidiEvent } from './midi.js';

/**
 * A Standard MIDI File reader (formats 0 and 1): what the MMA song source needs to turn `mma`'s
 * output into per-channel events. Ticks become seconds through the file's tempo map (merged over
 * all tracks, as format 1 keeps it in the first track); notes are paired on/off per channel and
 * pitch. Sysex and meta events other than tempo are skipped.
 */

export class SmfError extends Error {
  readonly code = 'SMF_INVALID';
}

interface TickEvent {
  tick: number;
  /** Order among events of one tick as they appear in the file (track, then position). */
  order: number;
  status: number;
  data: number[];
}

interface TempoChange {
  tick: number;
  microsecondsPerQuarter: number;
}

class Reader {
  position: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.position = start;
  }
  byte(): number {
    if (this.position >= this.end) throw new SmfError('unexpected end of track');
    return this.bytes[this.position++];
  }
  variableLength(): number {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.byte();
      value = (value << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) return value;
    }
    throw new SmfError('variable-length quantity longer than 4 bytes');
  }
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function chunkId(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

/** Data bytes of each channel message type (high nibble of the status byte). */
const DATA_BYTES: Record<number, number> = { 8: 2, 9: 2, 10: 2, 11: 2, 12: 1, 13: 1, 14: 2 };

function readTrack(
  bytes: Uint8Array,
  start: number,
  end: number,
  events: TickEvent[],
  tempos: TempoChange[],
) {
  const reader = new Reader(bytes, start, end);
  let tick = 0;
  let running = 0;
  while (reader.position < end) {
    tick += reader.variableLength();
    let status = reader.byte();
    if (status === 0xff) {
      const type = reader.byte();
      const length = reader.variableLength();
      if (type === 0x51 && length === 3) {
        const at = reader.position;
        tempos.push({
          tick,
          microsecondsPerQuarter: (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2],
        });
      }
      reader.position += length;
      if (type === 0x2f) return;
      continue;
    }
    if (status === 0xf0 || status === 0xf7) {
      reader.position += reader.variableLength();
      continue;
    }
    const data: number[] = [];
    if (status < 0x80) {
      // Running status: this byte is the first data byte of a message with the previous status.
      if (running === 0) throw new SmfError('running status without a previous status byte');
      data.push(status);
      status = running;
    } else {
      running = status;
    }
    const needed = DATA_BYTES[status >> 4];
    if (needed === undefined) throw new SmfError(`unsupported status byte 0x${status.toString(16)}`);
    while (data.length < needed) data.push(reader.byte());
    events.push({ tick, order: events.length, status, data });
  }
}

/** Seconds of every tick, from the tempo map (default 120 BPM until the first tempo event). */
function tickClock(tempos: TempoChange[], ticksPerQuarter: number): (tick: number) => number {
  const sorted = [...tempos].sort((a, b) => a.tick - b.tick);
  const segments: { tick: number; seconds: number; secondsPerTick: number }[] = [
    { tick: 0, seconds: 0, secondsPerTick: 0.5 / ticksPerQuarter },
  ];
  for (const change of sorted) {
    const last = segments[segments.length - 1];
    const seconds = last.seconds + (change.tick - last.tick) * last.secondsPerTick;
    const secondsPerTick = change.microsecondsPerQuarter / 1e6 / ticksPerQuarter;
    if (change.tick === last.tick)
      segments[segments.length - 1] = { tick: change.tick, seconds, secondsPerTick };
    else segments.push({ tick: change.tick, seconds, secondsPerTick });
  }
  return (tick) => {
    let segment = segments[0];
    for (const candidate of segments) {
      if (candidate.tick > tick) break;
      segment = candidate;
    }
    return segment.seconds + (tick - segment.tick) * segment.secondsPerTick;
  };
}

/**
 * All channel events of the file in seconds: notes (paired on/off), program changes, controllers
 * and pitch bends, sorted by time. A note still held at the end of the file ends there.
 */
export function readMidiFile(bytes: Uint8Array): MidiEvent[] {
  if (bytes.length < 14 || chunkId(bytes, 0) !== 'MThd') throw new SmfError('not a Standard MIDI File');
  const division = (bytes[12] << 8) | bytes[13];
  if (division & 0x8000) throw new SmfError('SMPTE time division is not supported');
  const events: TickEvent[] = [];
  const tempos: TempoChange[] = [];
  let at = 8 + u32(bytes, 4);
  while (at + 8 <= bytes.length) {
    const length = u32(bytes, at + 4);
    const end = at + 8 + length;
    if (end > bytes.length) throw new SmfError('chunk runs past the end of the file');
    if (chunkId(bytes, at) === 'MTrk') readTrack(bytes, at + 8, end, events, tempos);
    at = end;
  }
  events.sort((a, b) => a.tick - b.tick || a.order - b.order);
  const seconds = tickClock(tempos, division);
  const out: MidiEvent[] = [];
  const held = new Map<number, { time: number; velocity: number; index: number }[]>();
  let lastTime = 0;
  for (const event of events) {
    const time = seconds(event.tick);
    lastTime = Math.max(lastTime, time);
    const channel = event.status & 0x0f;
    const type = event.status >> 4;
    const [a, b] = event.data;
    if (type === 9 && b > 0) {
      const key = channel * 128 + a;
      const stack = held.get(key) ?? [];
      // The note's slot keeps its place in the output; its duration is filled in at the note-off.
      stack.push({ time, velocity: b, index: out.length });
      held.set(key, stack);
      out.push({ kind: 'note', time, duration: 0, channel, pitch: a, velocity: b });
    } else if (type === 8 || type === 9) {
      const started = held.get(channel * 128 + a)?.shift();
      if (started) (out[started.index] as { duration: number }).duration = time - started.time;
    } else if (type === 11) {
      out.push({ kind: 'control', time, channel, controller: a, value: b });
    } else if (type === 12) {
      out.push({ kind: 'program', time, channel, program: a });
    } else if (type === 14) {
      out.push({ kind: 'pitchBend', time, channel, value: (b << 7) | a });
    }
  }
  for (const stack of held.values()) {
    for (const open of stack) (out[open.index] as { duration: number }).duration = lastTime - open.time;
  }
  return out;
}
