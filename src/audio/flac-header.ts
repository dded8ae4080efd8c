import { AudioDecodeError } from './errors.js';

const STREAMINFO = 0;
const STREAMINFO_BYTES = 34;

export interface FlacStreamInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Samples per channel; 0 when the encoder did not know (streamed encodes). */
  totalSamples: number;
}

export function isFlac(bytes: Uint8Array, offset = 0): boolean {
  return (
    bytes.length >= offset + 4 &&
    bytes[offset] === 0x66 && // f
    bytes[offset + 1] === 0x4c && // L
    bytes[offset + 2] === 0x61 && // a
    bytes[offset + 3] === 0x43 // C
  );
}

/**
 * Reads STREAMINFO and checks that every metadata block header up to the first audio frame is
 * present, so a file cut inside its metadata is reported as truncated before decoding.
 */
export function readFlacStreamInfo(bytes: Uint8Array, offset = 0): FlacStreamInfo {
  let at = offset + 4;
  let info: FlacStreamInfo | undefined;
  let last = false;
  while (!last) {
    if (at + 4 > bytes.length) throw new AudioDecodeError('TRUNCATED', 'FLAC file ends inside its metadata');
    last = (bytes[at] & 0x80) !== 0;
    const type = bytes[at] & 0x7f;
    const length = (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    const body = at + 4;
    if (body + length > bytes.length)
      throw new AudioDecodeError('TRUNCATED', 'FLAC file ends inside its metadata');
    if (type === STREAMINFO) {
      if (length < STREAMINFO_BYTES)
        throw new AudioDecodeError('INVALID_HEADER', 'FLAC STREAMINFO block is too short');
      info = parseStreamInfo(bytes, body);
    }
    at = body + length;
  }
  if (!info) throw new AudioDecodeError('INVALID_HEADER', 'FLAC file has no STREAMINFO block');
  return info;
}

function parseStreamInfo(bytes: Uint8Array, at: number): FlacStreamInfo {
  // Bytes 10..17 pack: sample rate (20 bits), channels-1 (3), bits-1 (5), total samples (36).
  const sampleRate = (bytes[at + 10] << 12) | (bytes[at + 11] << 4) | (bytes[at + 12] >> 4);
  const channels = ((bytes[at + 12] >> 1) & 0x07) + 1;
  const bitsPerSample = (((bytes[at + 12] & 0x01) << 4) | (bytes[at + 13] >> 4)) + 1;
  const totalSamples =
    (bytes[at + 13] & 0x0f) * 2 ** 32 +
    ((bytes[at + 14] << 24) >>> 0) +
    (bytes[at + 15] << 16) +
    (bytes[at + 16] << 8) +
    bytes[at + 17];
  return { sampleRate, channels, bitsPerSample, totalSamples };
}
