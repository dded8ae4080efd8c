/**
 * A minimal Standard MIDI File (format 0) writer: just what the renderer needs to drive a General
 * MIDI synthesiser. Times are in seconds; the file uses a fixed 120 BPM tempo so that a tick is a
 * fixed duration and the song's own tempo lives only in the note times.
 */

export type MidiEvent =
  | { kind: 'note'; time: number; duration: number; channel: number; pitch: number; velocity: number }
  | { kind: 'program'; time: number; channel: number; program: number }
  | { kind: 'control'; time: number; channel: number; controller: number; value: number }
  /** 14-bit pitch wheel, 8192 = centre. */
  | { kind: 'pitchBend'; time: number; channel: number; value: number };

/** Ticks per quarter note; at the fixed 120 BPM one tick is 1/960 s, finer than humanisation. */
export const TICKS_PER_QUARTER = 480;
const MICROSECONDS_PER_QUARTER = 500_000;
const TICKS_PER_SECOND = (TICKS_PER_QUARTER * 1_000_000) / MICROSECONDS_PER_QUARTER;

export class MidiRangeError extends Error {
  readonly code = 'MIDI_RANGE';
}

interface RawEvent {
  tick: number;
  /** Orders events sharing a tick: note-offs before controls/programs before note-ons. */
  priority: number;
  bytes: number[];
}

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new MidiRangeError(`${name} ${value} outside 0..${max}`);
  }
}

function toTick(seconds: number): number {
  return Math.max(0, Math.round(seconds * TICKS_PER_SECOND));
}

function variableLength(value: number): number[] {
  const bytes = [value & 0x7f];
  value >>>= 7;
  while (value > 0) {
    bytes.unshift((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  return bytes;
}

function toRawEvents(event: MidiEvent): RawEvent[] {
  checkRange('channel', event.channel, 15);
  const tick = toTick(event.time);
  switch (event.kind) {
    case 'program':
      checkRange('program', event.program, 127);
      return [{ tick, priority: 1, bytes: [0xc0 | event.channel, event.program] }];
    case 'control':
      checkRange('controller', event.controller, 127);
      checkRange('control value', event.value, 127);
      return [{ tick, priority: 1, bytes: [0xb0 | event.channel, event.controller, event.value] }];
    case 'pitchBend':
      checkRange('pitch bend', event.value, 16383);
      return [{ tick, priority: 1, bytes: [0xe0 | event.channel, event.value & 0x7f, event.value >> 7] }];
    case 'note': {
      checkRange('pitch', event.pitch, 127);
      checkRange('velocity', event.velocity, 127);
      // A zero-length note would be dropped by some synths; keep at least one tick.
      const end = Math.max(tick + 1, toTick(event.time + event.duration));
      return [
        { tick, priority: 2, bytes: [0x90 | event.channel, event.pitch, Math.max(1, event.velocity)] },
        { tick: end, priority: 0, bytes: [0x80 | event.channel, event.pitch, 0] },
      ];
    }
  }
}

/** Encodes events (any order) as a format-0 Standard MIDI File. */
export function encodeMidiFile(events: readonly MidiEvent[]): Uint8Array {
  const raw = events.flatMap(toRawEvents);
  // Stable sort keeps the caller's order among equal (tick, priority) events.
  raw.sort((a, b) => a.tick - b.tick || a.priority - b.priority);
  const track: number[] = [0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20]; // tempo 500000 us/quarter
  let previousTick = 0;
  for (const event of raw) {
    track.push(...variableLength(event.tick - previousTick), ...event.bytes);
    previousTick = event.tick;
  }
  track.push(0x00, 0xff, 0x2f, 0x00);
  const header = [
    ...[0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6], // "MThd", length 6
    0,
    0, // format 0
    0,
    1, // one track
    (TICKS_PER_QUARTER >> 8) & 0xff,
    TICKS_PER_QUARTER & 0xff,
  ];
  const length = track.length;
  const trackHeader = [
    0x4d,
    0x54,
    0x72,
    0x6b,
    (length >>> 24) & 0xff,
    (length >>> 16) & 0xff,
    (length >>> 8) & 0xff,
    length & 0xff,
  ];
  return Uint8Array.from([...header, ...trackHeader, ...track]);
}
