import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeMidiFile, type MidiEvent } from '../../../training/data/midi.js';
import {
  excerptMidi,
  MidiParseError,
  parseMidi,
  RealSongsMissingError,
  realSongFiles,
} from '../../../training/eval/real-songs.js';
import { openSplit } from '../../../training/eval/splits.js';

const note = (time: number, channel: number, pitch: number): MidiEvent => ({
  kind: 'note',
  time,
  duration: 0.5,
  channel,
  pitch,
  velocity: 90,
});

describe('parseMidi', () => {
  it('splits a file into parts by channel and program, with times in seconds', () => {
    const events: MidiEvent[] = [
      { kind: 'program', time: 0, channel: 0, program: 0 }, // piano
      note(1, 0, 60),
      note(2, 0, 64),
      { kind: 'program', time: 3, channel: 0, program: 48 }, // strings, same channel
      note(3.5, 0, 67),
      { kind: 'program', time: 0, channel: 1, program: 33 }, // bass
      note(1.25, 1, 40),
      note(1, 9, 36), // drums
    ];
    const midi = parseMidi(encodeMidiFile(events));
    const parts = midi.parts.map((part) => `${part.channel}/${part.program}:${part.notes.length}`).sort();
    expect(parts).toEqual(['0/0:2', '0/48:1', '1/33:1', '9/0:1']);
    const strings = midi.parts.find((part) => part.program === 48)!;
    // The writer's fixed 120 BPM: one tick is 1/960 s.
    expect(strings.notes[0].time).toBeCloseTo(3.5, 2);
    expect(strings.notes[0].duration).toBeCloseTo(0.5, 2);
    expect(midi.tempo).toBeCloseTo(120, 6);
    expect(midi.barSeconds).toBeCloseTo(2, 6); // 4/4 when the file sets no metre
    expect(midi.durationSeconds).toBeCloseTo(5, 2); // last note-off at 4 s, plus the 1 s tail
  });

  it('cuts an excerpt from the first note on', () => {
    const midi = parseMidi(encodeMidiFile([note(10, 0, 60), note(11, 0, 62), note(80, 0, 64)]));
    const excerpt = excerptMidi(midi, 60);
    expect(excerpt.parts[0].notes.map((n) => Math.round(n.time * 100) / 100)).toEqual([0, 1]);
  });

  it('refuses what is not a Standard MIDI File', () => {
    expect(() => parseMidi(new Uint8Array([1, 2, 3]))).toThrow(MidiParseError);
  });
});

describe('split availability', () => {
  it('reports the real songs as absent, naming the package, when the MIDI folder is missing', () => {
    expect(() => realSongFiles('/nonexistent/planetblupi')).toThrow(RealSongsMissingError);
    expect(() => realSongFiles('/nonexistent/planetblupi')).toThrow(/apt-get install planetblupi-music-midi/);
  });

  it('reports a corpus split with no songs as absent instead of evaluating nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stemdex-splits-'));
    try {
      const opened = openSplit('heldout_timbre', {
        corpusDir: dir,
        realSongsCacheDir: dir,
        sampleRate: 16_000,
      });
      expect(opened).toEqual({ absent: expect.stringContaining('no songs of split heldout_timbre') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
