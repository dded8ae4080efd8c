import { describe, expect, it } from 'vitest';
import { keyClass } from '../../../training/eval/corpus-source.js';

describe('keyClass', () => {
  it('numbers the 24 keys as tonic × 2 + minor, by the mode third', () => {
    expect(keyClass({ tonic: 'C', tonicPitchClass: 0, mode: 'major' })).toBe(0);
    expect(keyClass({ tonic: 'A', tonicPitchClass: 9, mode: 'minor' })).toBe(19);
    expect(keyClass({ tonic: 'D', tonicPitchClass: 2, mode: 'dorian' })).toBe(5);
    expect(keyClass({ tonic: 'G', tonicPitchClass: 7, mode: 'mixolydian' })).toBe(14);
    expect(keyClass({ tonic: 'B', tonicPitchClass: 11, mode: 'minor' })).toBe(23);
  });
});
