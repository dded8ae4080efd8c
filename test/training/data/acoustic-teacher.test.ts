import { describe, expect, it } from 'vitest';
import { DEFAULT_FRONT_END } from '../../../src/audio/frontend-config.js';
import { LogMelSpectrogram } from '../../../src/audio/log-mel.js';
import { AcousticTeacher, TEACHER_CHANNELS } from '../../../training/data/acoustic-teacher.js';

const frontEnd = DEFAULT_FRONT_END;
const columns = 50;
const length = 8 * frontEnd.sampleRate;

function describe50(samples: Float32Array): Float32Array {
  const teacher = new AcousticTeacher(frontEnd, columns);
  const out = new Float32Array(teacher.width);
  teacher.describeInto(samples, new LogMelSpectrogram(frontEnd).compute(samples).data, out, 0);
  return out;
}

const column = (values: Float32Array, index: number) =>
  values.subarray(index * TEACHER_CHANNELS, (index + 1) * TEACHER_CHANNELS);

describe('AcousticTeacher', () => {
  it('puts a bass A (110 Hz) in pitch class A of every column, at unit length', () => {
    const tone = Float32Array.from(
      { length },
      (_, i) => 0.3 * Math.sin((2 * Math.PI * 110 * i) / frontEnd.sampleRate),
    );
    const values = describe50(tone);
    for (const index of [5, 25, 45]) {
      const chroma = Array.from(column(values, index).subarray(0, 12));
      expect(chroma.indexOf(Math.max(...chroma))).toBe(9);
      expect(Math.hypot(...chroma)).toBeCloseTo(1, 4);
    }
  });

  it('marks the column of a click as an onset and leaves silence at zero', () => {
    const click = new Float32Array(length);
    // A short noise burst at 4.08 s: the middle of column 25 (0.16 s columns).
    let seed = 1;
    for (let i = 65_280; i < 65_680; i++) {
      seed = (seed * 16_807) % 2_147_483_647;
      click[i] = (seed / 2_147_483_647 - 0.5) * 0.8;
    }
    const values = describe50(click);
    const onsets = Array.from({ length: columns }, (_, index) => column(values, index)[12]);
    expect(onsets.indexOf(Math.max(...onsets))).toBe(25);
    expect(onsets[25]).toBeGreaterThan(0.3);
    expect(Array.from(column(values, 5).subarray(0, 12)).every((value) => value === 0)).toBe(true);
  });

  it('appends the same unit-length tempo descriptor to every column, whose peak follows the beat period', () => {
    const clicks = (periodSeconds: number) => {
      const samples = new Float32Array(length);
      let seed = 7;
      for (let start = 0.1; start < 7.9; start += periodSeconds) {
        const first = Math.round(start * frontEnd.sampleRate);
        for (let i = first; i < first + 320; i++) {
          seed = (seed * 16_807) % 2_147_483_647;
          samples[i] = (seed / 2_147_483_647 - 0.5) * 0.8;
        }
      }
      return samples;
    };
    const tempoBins = 20;
    const teacher = new AcousticTeacher(frontEnd, columns, tempoBins);
    expect(teacher.channels).toBe(TEACHER_CHANNELS + tempoBins);
    const peakBin = (samples: Float32Array) => {
      const out = new Float32Array(teacher.width);
      teacher.describeInto(samples, new LogMelSpectrogram(frontEnd).compute(samples).data, out, 0);
      const first = out.subarray(TEACHER_CHANNELS, teacher.channels);
      const last = out.subarray(49 * teacher.channels + TEACHER_CHANNELS, 50 * teacher.channels);
      expect(Array.from(last)).toEqual(Array.from(first));
      expect(Math.hypot(...first)).toBeCloseTo(1, 4);
      return first.indexOf(Math.max(...first));
    };
    // 0.25 s and 0.5 s beats: lags 25 and 50 frames, a factor 2 apart in the log-spaced bins.
    const fast = peakBin(clicks(0.25));
    const slow = peakBin(clicks(0.5));
    expect(slow).toBeGreaterThan(fast + 4);
    const silence = new Float32Array(teacher.width);
    const quiet = new Float32Array(length);
    teacher.describeInto(quiet, new LogMelSpectrogram(frontEnd).compute(quiet).data, silence, 0);
    expect(silence.every((value) => value === 0)).toBe(true);
  });

  it('refuses a column count that does not divide the frames', () => {
    expect(() => new AcousticTeacher(frontEnd, 7)).toThrow(RangeError);
  });
});
