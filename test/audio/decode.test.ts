import { afterEach, describe, expect, it, vi } from 'vitest';
import { AudioDecodeError, decodeAudio, encodeWav, sniffFormat } from '../../src/audio/index.js';
import { FIXTURE_FORMATS, fixture } from './fixtures.js';
import { rawWav } from './raw-wav.js';
import { amplitudeAt, bestLag, decibels, rms, seededRandom, snrDb } from './signals.js';

const TEN_HOURS_AT_44K1 = 10 * 3600 * 44_100;

async function decodeFailure(bytes: Uint8Array): Promise<AudioDecodeError> {
  try {
    await decodeAudio(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(AudioDecodeError);
    return error as AudioDecodeError;
  }
  throw new Error('expected decodeAudio to fail');
}

function patched(bytes: Uint8Array, patch: (copy: Uint8Array, view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  patch(copy, new DataView(copy.buffer));
  return copy;
}

function indexOfAscii(bytes: Uint8Array, text: string, fromEnd = false): number {
  const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return fromEnd ? haystack.lastIndexOf(text, undefined, 'latin1') : haystack.indexOf(text, 0, 'latin1');
}

describe('decodeAudio on the shipped fixtures', () => {
  it('sniffs each format from its magic bytes', () => {
    for (const format of FIXTURE_FORMATS) expect(sniffFormat(fixture(format))).toBe(format);
  });

  // Tolerances, against the 16-bit WAV the others were encoded from (measured: FLAC identical;
  // MP3 128 kbit/s 26.0 dB SNR, level -0.45 dB, the same as ffmpeg's own decode of the file;
  // Vorbis q4 40-42 dB SNR, level +0.06 dB). Lags are searched within ±20 samples (under half a
  // period of the 1 kHz tone, so the periodic signal cannot fake an alignment).
  const tolerances = {
    flac: { minSnrDb: Number.POSITIVE_INFINITY, maxLevelDb: 0 },
    mp3: { minSnrDb: 22, maxLevelDb: 1 },
    ogg: { minSnrDb: 35, maxLevelDb: 0.3 },
  } as const;

  for (const format of ['flac', 'mp3', 'ogg'] as const) {
    it(`${format} matches the WAV of the same signal (SNR ≥ ${tolerances[format].minSnrDb} dB)`, async () => {
      const reference = await decodeAudio(fixture('wav'));
      const decoded = await decodeAudio(fixture(format));
      expect(decoded.format).toBe(format);
      expect(decoded.sampleRate).toBe(44_100);
      expect(decoded.channels).toHaveLength(2);
      // Gapless MP3 (LAME tag) and Vorbis granule trimming give back exactly the encoded length.
      expect(decoded.channels[0].length).toBe(reference.channels[0].length);
      const start = 2_205;
      const end = reference.channels[0].length - 2_205;
      for (let c = 0; c < 2; c++) {
        const lag = bestLag(reference.channels[c], decoded.channels[c], 20);
        expect(lag).toBe(0);
        expect(snrDb(reference.channels[c], decoded.channels[c], lag, start, end)).toBeGreaterThanOrEqual(
          tolerances[format].minSnrDb,
        );
        const levelDb = decibels(
          rms(decoded.channels[c], start, end) / rms(reference.channels[c], start, end),
        );
        expect(Math.abs(levelDb)).toBeLessThanOrEqual(tolerances[format].maxLevelDb);
      }
      // Each channel still carries its own tone.
      expect(amplitudeAt(decoded.channels[0], 440, 44_100)).toBeGreaterThan(0.2);
      expect(amplitudeAt(decoded.channels[0], 1_000, 44_100)).toBeLessThan(0.01);
      expect(amplitudeAt(decoded.channels[1], 1_000, 44_100)).toBeGreaterThan(0.2);
    });
  }
});

describe('decodeAudio on bad input', () => {
  afterEach(() => vi.restoreAllMocks());

  it('rejects empty input', async () => {
    const error = await decodeFailure(new Uint8Array(0));
    expect(error.code).toBe('EMPTY_INPUT');
    expect(error.message).toMatch(/empty/);
  });

  it.each([
    ['a few bytes', Uint8Array.from([1, 2, 3])],
    ['text', new TextEncoder().encode('this is definitely not an audio file, just some text')],
    [
      'a PNG header',
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(64)]),
    ],
    ['zeros', new Uint8Array(4096)],
    ['seeded random bytes', Uint8Array.from({ length: 8192 }, seededRandomByte(7))],
    ['a RIFF AVI header', new TextEncoder().encode('RIFF\x10\x00\x00\x00AVI LIST\x00\x00\x00\x00')],
    [
      'one MPEG sync word then noise',
      Uint8Array.from([0xff, 0xfb, 0x90, 0x64, ...new Uint8Array(40).fill(7)]),
    ],
  ])('rejects %s as UNKNOWN_FORMAT', async (_name, bytes) => {
    const error = await decodeFailure(bytes);
    expect(error.code).toBe('UNKNOWN_FORMAT');
  });

  it('rejects a 0 Hz FLAC header', async () => {
    // STREAMINFO's 20-bit sample rate starts at file byte 18.
    const bytes = patched(fixture('flac'), (b) => {
      b[18] = 0;
      b[19] = 0;
      b[20] &= 0x0f;
    });
    const error = await decodeFailure(bytes);
    expect(error.code).toBe('INVALID_HEADER');
    expect(error.message).toMatch(/0 Hz/);
  });

  it('rejects 10-hour FLAC, Ogg and MP3 headers as TOO_LONG before decoding', async () => {
    const flac = patched(fixture('flac'), (b, view) => {
      // STREAMINFO's 36-bit total sample count: low nibble of byte 21, then bytes 22–25.
      b[21] = (b[21] & 0xf0) | Math.floor(TEN_HOURS_AT_44K1 / 2 ** 32);
      view.setUint32(22, TEN_HOURS_AT_44K1 % 2 ** 32);
    });
    const ogg = patched(fixture('ogg'), (b, view) => {
      const lastPage = indexOfAscii(b, 'OggS', true);
      view.setUint32(lastPage + 6, TEN_HOURS_AT_44K1, true);
      view.setUint32(lastPage + 10, 0, true);
    });
    const mp3 = patched(fixture('mp3'), (b, view) => {
      const tag = Math.max(indexOfAscii(b, 'Info'), indexOfAscii(b, 'Xing'));
      expect(tag).toBeGreaterThan(0);
      view.setUint32(tag + 8, Math.ceil(TEN_HOURS_AT_44K1 / 1152));
    });
    const started = performance.now();
    for (const bytes of [flac, ogg, mp3]) {
      const error = await decodeFailure(bytes);
      expect(error.code).toBe('TOO_LONG');
      expect(error.message).toMatch(/10\.0 h long; the limit is 20\.0 min/);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('rejects headers whose channels × rate × length exceed the PCM budget, within the duration limit', async () => {
    // 15 min is under the 20 min limit, but 8 channels of it are 318 M samples (budget: 230.4 M).
    const flac = patched(fixture('flac'), (b, view) => {
      b[20] = (b[20] & 0xf1) | (7 << 1); // channels - 1 = 7
      b[21] &= 0xf0;
      view.setUint32(22, 15 * 60 * 44_100);
    });
    await expect(decodeAudio(flac)).rejects.toMatchObject({
      code: 'TOO_LONG',
      message: /8 channels at 44100 Hz for 15\.0 min is 317520000 samples; the limit is 230400000/,
    });
    const wav = rawWav({ channels: 64, sampleRate: 768_000, declaredDataBytes: 30 * 768_000 * 128 });
    await expect(decodeAudio(wav)).rejects.toMatchObject({ code: 'TOO_LONG', message: /64 channels/ });
  });

  it('checks the limit against the headers of every format', async () => {
    for (const format of FIXTURE_FORMATS) {
      await expect(decodeAudio(fixture(format), { maxDurationSeconds: 0.25 })).rejects.toMatchObject({
        code: 'TOO_LONG',
      });
    }
  });

  it('stops a decode that outgrows the limit when the header does not state the length', async () => {
    // A STREAMINFO total of 0 means "unknown", so only the running count during decoding can catch it.
    const unknownLength = patched(fixture('flac'), (b, view) => {
      b[21] &= 0xf0;
      view.setUint32(22, 0);
    });
    await expect(decodeAudio(unknownLength, { maxDurationSeconds: 0.25 })).rejects.toMatchObject({
      code: 'TOO_LONG',
      message: /more than the 11025 samples/,
    });
    const decoded = await decodeAudio(unknownLength);
    expect(decoded.channels[0].length).toBe(22_050);
  });

  it('reports cut files as TRUNCATED', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined); // the FLAC decoder logs stream errors
    for (const format of FIXTURE_FORMATS) {
      const bytes = fixture(format);
      for (const fraction of [0.05, 0.25, 0.5, 0.75, 0.95, 0.999]) {
        const error = await decodeFailure(bytes.subarray(0, Math.floor(bytes.length * fraction)));
        expect([format, fraction, error.code]).toEqual([format, fraction, 'TRUNCATED']);
      }
    }
  });

  it('rejects Ogg/Opus as UNSUPPORTED_ENCODING', async () => {
    const head = new TextEncoder().encode('OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00');
    const page = new Uint8Array(28 + head.length);
    page.set(new TextEncoder().encode('OggS'));
    page[5] = 0x02; // beginning of stream
    page[26] = 1;
    page[27] = head.length;
    page.set(head, 28);
    const error = await decodeFailure(page);
    expect(error.code).toBe('UNSUPPORTED_ENCODING');
    expect(error.message).toMatch(/Opus/);
  });

  it('never throws anything but AudioDecodeError on corrupted files', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const random = seededRandom(42);
    const outcomes = new Set<string>();
    for (const format of FIXTURE_FORMATS) {
      const original = fixture(format);
      for (let trial = 0; trial < 25; trial++) {
        const corrupted = original.slice();
        const flips = 1 + Math.floor(random() * 16);
        for (let i = 0; i < flips; i++)
          corrupted[Math.floor(random() * corrupted.length)] = Math.floor(random() * 256);
        try {
          const decoded = await decodeAudio(corrupted);
          expect(decoded.channels.length).toBeGreaterThan(0);
          outcomes.add('decoded');
        } catch (error) {
          expect(error).toBeInstanceOf(AudioDecodeError);
          outcomes.add((error as AudioDecodeError).code);
        }
      }
    }
    expect(outcomes.has('decoded')).toBe(true);
  });

  it('finds MP3 audio behind padding after its ID3 tag', async () => {
    const original = fixture('mp3');
    const tagEnd = 10 + ((original[6] << 21) | (original[7] << 14) | (original[8] << 7) | original[9]);
    const gap = new Uint8Array(300);
    const padded = new Uint8Array(original.length + gap.length);
    padded.set(original.subarray(0, tagEnd));
    padded.set(gap, tagEnd);
    padded.set(original.subarray(tagEnd), tagEnd + gap.length);
    const [expected, decoded] = [await decodeAudio(original), await decodeAudio(padded)];
    expect(decoded.channels[0]).toEqual(expected.channels[0]);
  });

  it('accepts a WAV whose data size says "unknown" (streamed encoders)', async () => {
    const bytes = encodeWav([Float32Array.from([0.5, -0.25])], 16_000);
    new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
    const decoded = await decodeAudio(bytes);
    expect(Array.from(decoded.channels[0])).toEqual([0.5, -0.25]);
  });
});

function seededRandomByte(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.floor(random() * 256);
}
