import { describe, expect, it } from 'vitest';
import { AudioDecodeError, decodeAudio, encodeWav, parseWav } from '../../src/audio/index.js';
import { rawWav } from './raw-wav.js';
import { noise, sine } from './signals.js';

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function decodeError(run: () => unknown): AudioDecodeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AudioDecodeError);
    return error as AudioDecodeError;
  }
  throw new Error('expected an AudioDecodeError');
}

describe('encodeWav / parseWav round trip', () => {
  const left = noise(4_000, 1, 0.9);
  const right = sine(997, 44_100, 4_000, 0.7);

  // Quantisation bound: half a step of the integer grid (plus float32 rounding for 32-bit).
  const cases = [
    { format: { bitDepth: 16 as const }, tolerance: 2 ** -16 },
    { format: { bitDepth: 24 as const }, tolerance: 2 ** -24 },
    { format: { bitDepth: 32 as const }, tolerance: 2 ** -24 },
    { format: { bitDepth: 32 as const, float: true }, tolerance: 0 },
  ];
  for (const { format, tolerance } of cases) {
    it(`${format.bitDepth}-bit ${format.float ? 'float' : 'int'} stereo within ${tolerance}`, () => {
      const decoded = parseWav(encodeWav([left, right], 44_100, format));
      expect(decoded.sampleRate).toBe(44_100);
      expect(decoded.format).toBe('wav');
      expect(decoded.channels).toHaveLength(2);
      expect(maxAbsDifference(decoded.channels[0], left)).toBeLessThanOrEqual(tolerance);
      expect(maxAbsDifference(decoded.channels[1], right)).toBeLessThanOrEqual(tolerance);
    });
  }

  it('keeps mono and six-channel layouts (six channels use WAVE_FORMAT_EXTENSIBLE)', () => {
    const mono = parseWav(encodeWav([left], 8_000));
    expect(mono.channels).toHaveLength(1);
    expect(mono.sampleRate).toBe(8_000);
    const six = Array.from({ length: 6 }, (_, c) => sine(200 * (c + 1), 48_000, 1_000, 0.1 * (c + 1)));
    const bytes = encodeWav(six, 48_000, { bitDepth: 24 });
    expect(new DataView(bytes.buffer).getUint16(20, true)).toBe(0xfffe);
    const decoded = parseWav(bytes);
    expect(decoded.channels).toHaveLength(6);
    decoded.channels.forEach((channel, c) => {
      expect(maxAbsDifference(channel, six[c])).toBeLessThanOrEqual(2 ** -24);
    });
  });

  it('clips integer samples outside [-1, 1] instead of wrapping', () => {
    const decoded = parseWav(encodeWav([Float32Array.from([1.5, -1.5, 1, -1])], 16_000));
    expect(Array.from(decoded.channels[0])).toEqual([32767 / 32768, -1, 32767 / 32768, -1]);
  });

  it('rejects bad encode arguments', () => {
    expect(() => encodeWav([], 16_000)).toThrow(/at least one channel/);
    expect(() => encodeWav([new Float32Array(2), new Float32Array(3)], 16_000)).toThrow(/same length/);
    expect(() => encodeWav([new Float32Array(2)], 0)).toThrow(/sample rate/);
    expect(() => encodeWav([new Float32Array(2)], 16_000, { bitDepth: 16, float: true })).toThrow(/float/);
  });
});

describe('parseWav on hand-built headers', () => {
  it('reads unsigned 8-bit PCM', () => {
    const decoded = parseWav(rawWav({ bitsPerSample: 8, dataBytes: Uint8Array.from([0, 128, 255]) }));
    expect(Array.from(decoded.channels[0])).toEqual([-1, 0, 127 / 128]);
  });

  it('reads 64-bit float PCM', () => {
    const data = new Uint8Array(new Float64Array([0.25, -0.5]).buffer);
    const decoded = parseWav(rawWav({ formatTag: 3, bitsPerSample: 64, dataBytes: data }));
    expect(Array.from(decoded.channels[0])).toEqual([0.25, -0.5]);
  });

  it('reads float samples inside WAVE_FORMAT_EXTENSIBLE', () => {
    const data = new Uint8Array(new Float32Array([0.125, -0.75]).buffer);
    const decoded = parseWav(
      rawWav({ formatTag: 0xfffe, subFormatTag: 3, bitsPerSample: 32, dataBytes: data }),
    );
    expect(Array.from(decoded.channels[0])).toEqual([0.125, -0.75]);
  });

  it('skips unknown chunks and accepts an odd-sized chunk with its pad byte', () => {
    const plain = encodeWav([Float32Array.from([0.5, -0.5])], 16_000);
    const extra = Uint8Array.from([...'LIST'].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 1, 2, 3, 0]));
    const withList = new Uint8Array(plain.length + extra.length);
    withList.set(plain.subarray(0, 36));
    withList.set(extra, 36);
    withList.set(plain.subarray(36), 36 + extra.length);
    expect(Array.from(parseWav(withList).channels[0])).toEqual([0.5, -0.5]);
  });

  it.each([
    ['0 Hz sample rate', rawWav({ sampleRate: 0 }), 'INVALID_HEADER', /0 Hz/],
    ['absurd sample rate', rawWav({ sampleRate: 4_000_000_000 }), 'INVALID_HEADER', /4000000000 Hz/],
    ['zero channels', rawWav({ channels: 0, blockAlign: 2 }), 'INVALID_HEADER', /0 channels/],
    ['wrong block align', rawWav({ blockAlign: 3 }), 'INVALID_HEADER', /block align/],
    ['ADPCM', rawWav({ formatTag: 2, bitsPerSample: 4 }), 'UNSUPPORTED_ENCODING', /0x0002/],
    ['12-bit PCM', rawWav({ bitsPerSample: 12, blockAlign: 2 }), 'UNSUPPORTED_ENCODING', /12 bits/],
    ['RF64', rawWav({ magic: 'RF64' }), 'UNSUPPORTED_ENCODING', /RF64/],
    [
      'data size past the end',
      rawWav({ dataBytes: new Uint8Array(100), declaredDataBytes: 1_000 }),
      'TRUNCATED',
      /declares 1000 bytes but only 100/,
    ],
  ])('%s → %s', (_name, bytes, code, message) => {
    const error = decodeError(() => parseWav(bytes));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('reports a 10-hour header as TOO_LONG without allocating its samples', async () => {
    // 10 h of 48 kHz stereo 32-bit float would be 13.8 GB; the header claims 4 GB − 2, the
    // most a RIFF size field can say, at 8 kHz mono 8-bit: 149 h.
    const header = rawWav({ sampleRate: 8_000, bitsPerSample: 8, declaredDataBytes: 0xfffffffe });
    const started = performance.now();
    await expect(decodeAudio(header)).rejects.toMatchObject({ code: 'TOO_LONG', message: /149\.1 h/ });
    const tenHours = rawWav({ sampleRate: 48_000, channels: 2, declaredDataBytes: 10 * 3600 * 48_000 * 4 });
    await expect(decodeAudio(tenHours)).rejects.toMatchObject({ code: 'TOO_LONG', message: /10\.0 h long/ });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('honours a caller-given duration limit', async () => {
    const twoSeconds = encodeWav([new Float32Array(32_000)], 16_000);
    await expect(decodeAudio(twoSeconds, { maxDurationSeconds: 1.5 })).rejects.toMatchObject({
      code: 'TOO_LONG',
    });
    await expect(decodeAudio(twoSeconds, { maxDurationSeconds: 2 })).resolves.toMatchObject({
      format: 'wav',
    });
  });

  it('reports every cut of a WAV file as TRUNCATED', () => {
    const bytes = encodeWav([sine(440, 16_000, 1_000)], 16_000);
    for (const length of [4, 11, 12, 20, 30, 44, 45, 500, bytes.length - 1]) {
      const error = decodeError(() => parseWav(bytes.subarray(0, length)));
      expect([length, error.code]).toEqual([length, 'TRUNCATED']);
    }
  });
});
