import { describe, expect, it } from 'vitest';
import { encodeMidiFile, MidiRangeError } from '../../../training/data/midi.js';
import { composeSong } from '../../../training/data/score.js';
import { barSeconds } from '../../../training/data/song.js';
import {
  chordPitchClasses,
  diatonicChord,
  pitchClass,
  scalePitchClasses,
  voiceLead,
} from '../../../training/data/theory.js';

describe('diatonic harmony', () => {
  it('builds chords by stacking scale thirds in any key and mode', () => {
    const cMajor = { tonic: 0, mode: 'major' } as const;
    expect(diatonicChord(cMajor, '5', true)).toMatchObject({
      root: 7,
      intervals: [0, 4, 7, 10],
      symbol: 'G7',
    });
    expect(diatonicChord(cMajor, '2', false).symbol).toBe('Dm');
    expect(diatonicChord(cMajor, '7', true).symbol).toBe('Bm7b5');
    expect(diatonicChord(cMajor, 'b7', false).symbol).toBe('Bb');
    expect(diatonicChord({ tonic: 9, mode: 'minor' }, '7', false).symbol).toBe('G');
    expect(diatonicChord({ tonic: 2, mode: 'dorian' }, '4', false).symbol).toBe('G');
    expect(diatonicChord({ tonic: 10, mode: 'major' }, '1', true).symbol).toBe('Bbmaj7');
  });

  it('voice-leads: every voicing holds the chord tones inside the range and moves by small steps', () => {
    const key = { tonic: 5, mode: 'major' } as const;
    let previous: number[] | undefined;
    for (const degree of ['1', '6', '4', '5', '2', '5', '1']) {
      const chord = diatonicChord(key, degree, true);
      const voicing = voiceLead(chord, previous, 55, 77);
      expect(voicing.every((pitch) => pitch >= 55 && pitch <= 77)).toBe(true);
      expect(new Set(voicing.map(pitchClass))).toEqual(new Set(chordPitchClasses(chord)));
      if (previous) {
        const mean = (notes: number[]) => notes.reduce((a, b) => a + b, 0) / notes.length;
        expect(Math.abs(mean(voicing) - mean(previous))).toBeLessThanOrEqual(4);
      }
      previous = voicing;
    }
  });
});

describe('scores', () => {
  it("follow the harmony: accompaniment plays the tones of its bar's chord, the lead stays in key", () => {
    for (let seed = 100; seed < 140; seed++) {
      const { plan, stems } = composeSong(seed);
      const secondsPerBar = barSeconds(plan);
      const inKey = new Set([...scalePitchClasses(plan.key), ...plan.chords.flatMap(chordPitchClasses)]);
      for (const stem of stems) {
        for (const note of stem.notes) {
          const pc = pitchClass(note.pitch);
          if (stem.name === 'lead') {
            expect(inKey.has(pc), `seed ${seed} lead`).toBe(true);
          } else if (['keys', 'guitar', 'pad', 'other'].includes(stem.name)) {
            // Humanised notes may start a little early; 60 ms is five standard deviations of jitter.
            const bar = Math.min(plan.bars - 1, Math.floor((note.time + 0.06) / secondsPerBar));
            expect(chordPitchClasses(plan.chords[bar]), `seed ${seed} ${stem.name} bar ${bar}`).toContain(pc);
          }
        }
      }
    }
  });
});

describe('MIDI writer', () => {
  it('writes a format-0 file whose ticks encode seconds at a fixed 120 BPM', () => {
    const bytes = encodeMidiFile([
      { kind: 'program', time: 0, channel: 2, program: 33 },
      { kind: 'note', time: 1, duration: 0.5, channel: 2, pitch: 40, velocity: 100 },
    ]);
    const text = String.fromCharCode(...bytes.slice(0, 4));
    expect(text).toBe('MThd');
    expect([...bytes.slice(8, 14)]).toEqual([0, 0, 0, 1, 0x01, 0xe0]); // format 0, one track, 480 per quarter
    const track = [...bytes.slice(22)];
    // After the tempo event: program change at delta 0, note-on after 960 ticks (1 s), note-off after 480.
    expect(track.slice(7, 10)).toEqual([0x00, 0xc2, 33]);
    expect(track.slice(10, 15)).toEqual([0x87, 0x40, 0x92, 40, 100]);
    expect(track.slice(15, 20)).toEqual([0x83, 0x60, 0x82, 40, 0]);
    expect(() =>
      encodeMidiFile([{ kind: 'note', time: 0, duration: 1, channel: 0, pitch: 128, velocity: 1 }]),
    ).toThrow(MidiRangeError);
  });
});
