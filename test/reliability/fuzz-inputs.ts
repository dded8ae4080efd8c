import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './serve-process.js';

/** A named request body for an upload route, derived deterministically from a seed. */
export interface FuzzFile {
  label: string;
  filename: string;
  bytes: Uint8Array;
}

const FIXTURES = ['wav', 'flac', 'mp3', 'ogg'].map((ext) => ({
  ext,
  bytes: new Uint8Array(
    readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'audio', `tone-44k1-stereo.${ext}`)),
  ),
}));

function writeU32LE(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value >>> 0, true);
}

/** Offset of a RIFF chunk's size field, or -1. */
function wavChunkSizeOffset(bytes: Uint8Array, id: string): number {
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
  const at = text.indexOf(id, 12);
  return at < 0 ? -1 : at + 4;
}

/** Headers claiming far more audio than the body holds (decompression-bomb shape). */
function hugeDeclaredSizes(): FuzzFile[] {
  const out: FuzzFile[] = [];
  const wav = FIXTURES[0]!.bytes;
  for (const value of [0xffffffff, 0x7fffffff, 0]) {
    const bytes = wav.slice();
    writeU32LE(bytes, 4, value);
    const data = wavChunkSizeOffset(bytes, 'data');
    if (data >= 0) writeU32LE(bytes, data, value);
    out.push({ label: `wav declared size ${value}`, filename: 'huge.wav', bytes });
  }
  // fmt chunk: absurd sample rate and channel count.
  const fmt = wavChunkSizeOffset(wav, 'fmt ');
  if (fmt >= 0) {
    for (const [channels, rate] of [
      [65535, 44100],
      [2, 0xffffffff],
      [0, 44100],
      [2, 1],
    ] as const) {
      const bytes = wav.slice();
      new DataView(bytes.buffer).setUint16(fmt + 6, channels, true);
      writeU32LE(bytes, fmt + 8, rate);
      out.push({ label: `wav fmt channels=${channels} rate=${rate}`, filename: 'fmt.wav', bytes });
    }
  }
  // FLAC STREAMINFO (after "fLaC" + 4-byte block header): max sample rate, 36-bit total samples all ones.
  const flac = FIXTURES[1]!.bytes.slice();
  flac.fill(0xff, 8 + 10, 8 + 18);
  out.push({ label: 'flac streaminfo all ones', filename: 'huge.flac', bytes: flac });
  return out;
}

/** Every fuzzed upload: truncations, header mutations, declared sizes, random bytes, empty. */
export function fuzzFiles(random: () => number, mutationsPerFormat: number): FuzzFile[] {
  const files: FuzzFile[] = [{ label: 'zero-length', filename: 'empty.wav', bytes: new Uint8Array(0) }];
  for (const { ext, bytes } of FIXTURES) {
    const cuts = [
      1,
      4,
      12,
      44,
      100,
      ...Array.from({ length: mutationsPerFormat }, () => Math.floor(random() * bytes.length)),
    ];
    for (const cut of cuts) {
      files.push({ label: `${ext} truncated at ${cut}`, filename: `cut.${ext}`, bytes: bytes.slice(0, cut) });
    }
    for (let m = 0; m < mutationsPerFormat; m++) {
      const mutated = bytes.slice();
      // Mostly the header, where parsers make their decisions; sometimes anywhere.
      const span = random() < 0.8 ? Math.min(256, bytes.length) : bytes.length;
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++) mutated[Math.floor(random() * span)] = Math.floor(random() * 256);
      files.push({ label: `${ext} mutation ${m}`, filename: `mutated.${ext}`, bytes: mutated });
    }
    // The right magic bytes followed by garbage.
    const garbage = new Uint8Array(2048).map(() => Math.floor(random() * 256));
    garbage.set(bytes.subarray(0, 16));
    files.push({ label: `${ext} magic + garbage`, filename: `garbage.${ext}`, bytes: garbage });
  }
  for (let r = 0; r < mutationsPerFormat; r++) {
    const length = Math.floor(random() ** 2 * 200_000);
    files.push({
      label: `random ${length} bytes`,
      filename: r % 2 === 0 ? 'random.wav' : 'random.bin',
      bytes: new Uint8Array(length).map(() => Math.floor(random() * 256)),
    });
  }
  return [...files, ...hugeDeclaredSizes()];
}
