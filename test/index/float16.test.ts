import { describe, expect, it } from 'vitest';
import {
  decodeFloat16,
  decodeFloat32,
  encodeFloat16,
  encodeFloat32,
  float16BitsToFloat32,
  float32ToFloat16Bits,
} from '../../src/index/float16.js';
import { randomArray, seededRandom } from './fixtures.js';

describe('float16', () => {
  it('encodes reference values bit-exactly', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds past the largest finite half: Infinity
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: round to even
      [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: round to even
    ];
    for (const [value, bits] of cases) expect(float32ToFloat16Bits(value), String(value)).toBe(bits);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN)))).toBe(true);
  });

  it('decodes every finite half back to the value that encodes to it', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >>> 10) & 0x1f;
      if (exponent === 0x1f) continue;
      expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
    }
  });

  it('round-trips embedding-sized values within half precision', () => {
    const values = randomArray(seededRandom(7), 4096);
    const decoded = decodeFloat16(encodeFloat16(values));
    expect(decoded.length).toBe(values.length);
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(decoded[i] - values[i])).toBeLessThanOrEqual(
        Math.max(Math.abs(values[i]) * 2 ** -11, 2 ** -25),
      );
    }
  });

  it('decodes from views at any byte offset, as database blobs may be', () => {
    const values = randomArray(seededRandom(8), 33);
    for (const [encode, decode] of [
      [encodeFloat16, decodeFloat16],
      [encodeFloat32, decodeFloat32],
    ] as const) {
      const encoded = encode(values);
      const padded = new Uint8Array(encoded.length + 3);
      padded.set(encoded, 1);
      expect(decode(padded.subarray(1, 1 + encoded.length))).toEqual(decode(encoded));
    }
    expect(decodeFloat32(encodeFloat32(values))).toEqual(values);
  });
});
