import { readFileSync } from 'node:fs';

export const FIXTURE_FORMATS = ['wav', 'flac', 'mp3', 'ogg'] as const;

/**
 * The same 0.5 s, 44.1 kHz stereo signal (left 440 Hz, right 1 kHz, -12 dBFS) in each format,
 * made by scripts/make-audio-fixtures.sh.
 */
export function fixture(format: (typeof FIXTURE_FORMATS)[number]): Uint8Array {
  return new Uint8Array(
    readFileSync(new URL(`../fixtures/audio/tone-44k1-stereo.${format}`, import.meta.url)),
  );
}
