import { AudioDecodeError } from './errors.js';

/** One MPEG audio frame header (layers I–III, MPEG 1/2/2.5), as needed to walk a stream. */
export interface MpegFrameHeader {
  sampleRate: number;
  channels: 1 | 2;
  frameBytes: number;
  samplesPerFrame: number;
  /** Bytes of layer III side information; the Xing/Info tag sits right after it. */
  sideInfoBytes: number;
  mpeg1: boolean;
}

export interface MpegStreamInfo {
  sampleRate: number;
  channels: 1 | 2;
  /** Offset of the first audio frame (after any ID3v2 tag and the junk some taggers leave). */
  firstFrameOffset: number;
  /** Frame count from a Xing/Info/VBRI tag, when the encoder wrote one. */
  declaredFrames: number | undefined;
  samplesPerFrame: number;
}

// Indexed [version MPEG1 ? 0 : 1][layer 1..3][bitrate index]; kbit/s.
const BITRATES: readonly (readonly (readonly number[])[])[] = [
  [
    [],
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
const SAMPLE_RATES_MPEG1 = [44_100, 48_000, 32_000];

/** Parses the 4-byte header at `offset`, or returns undefined when it is not a valid frame header. */
export function parseMpegFrameHeader(bytes: Uint8Array, offset: number): MpegFrameHeader | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const b1 = bytes[offset + 1];
  const b2 = bytes[offset + 2];
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b1 >> 3) & 3; // 0: MPEG 2.5, 2: MPEG 2, 3: MPEG 1
  const layer = 4 - ((b1 >> 1) & 3); // bits 01 → III, 10 → II, 11 → I
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  // Free-format (index 0) streams have no computable frame length; mpg123 handles them poorly too.
  if (versionBits === 1 || layer === 4 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3)
    return undefined;
  const mpeg1 = versionBits === 3;
  const sampleRate = SAMPLE_RATES_MPEG1[rateIndex] / (mpeg1 ? 1 : versionBits === 2 ? 2 : 4);
  const bitrate = BITRATES[mpeg1 ? 0 : 1][layer][bitrateIndex] * 1000;
  const padding = (b2 >> 1) & 1;
  const channels = bytes[offset + 3] >> 6 === 3 ? 1 : 2;
  let frameBytes: number;
  let samplesPerFrame: number;
  if (layer === 1) {
    samplesPerFrame = 384;
    frameBytes = (Math.floor((12 * bitrate) / sampleRate) + padding) * 4;
  } else {
    samplesPerFrame = layer === 3 && !mpeg1 ? 576 : 1152;
    frameBytes = Math.floor(((samplesPerFrame / 8) * bitrate) / sampleRate) + padding;
  }
  const sideInfoBytes = mpeg1 ? (channels === 1 ? 17 : 32) : channels === 1 ? 9 : 17;
  return { sampleRate, channels, frameBytes, samplesPerFrame, sideInfoBytes, mpeg1 };
}

/** Length of an ID3v2 tag at `offset` (0 when there is none). */
export function id3v2Length(bytes: Uint8Array, offset = 0): number {
  if (offset + 10 > bytes.length) return 0;
  if (bytes[offset] !== 0x49 || bytes[offset + 1] !== 0x44 || bytes[offset + 2] !== 0x33) return 0; // "ID3"
  // Sizes are "syncsafe": 7 bits per byte.
  const size =
    ((bytes[offset + 6] & 0x7f) << 21) |
    ((bytes[offset + 7] & 0x7f) << 14) |
    ((bytes[offset + 8] & 0x7f) << 7) |
    (bytes[offset + 9] & 0x7f);
  const hasFooter = (bytes[offset + 5] & 0x10) !== 0;
  return 10 + size + (hasFooter ? 10 : 0);
}

/** Some taggers leave padding or junk between the ID3v2 tag and the audio; this much is searched. */
const MAX_GAP_AFTER_TAG = 64 * 1024;

/**
 * Offset of the first MPEG audio frame, or -1. Without an ID3v2 tag the frame must start at byte
 * 0; after a tag it is searched for within MAX_GAP_AFTER_TAG bytes. A candidate counts only when
 * the next frame header follows where its length says (with the same sample rate), so random
 * bytes that happen to contain a sync word are not taken for MP3.
 */
export function findFirstMpegFrame(bytes: Uint8Array): number {
  const tag = id3v2Length(bytes);
  const last = tag > 0 ? Math.min(bytes.length - 4, tag + MAX_GAP_AFTER_TAG) : 0;
  for (let offset = tag; offset <= last; offset++) {
    if (isConfirmedFrame(bytes, offset, tag > 0)) return offset;
  }
  return -1;
}

export function looksLikeMpeg(bytes: Uint8Array): boolean {
  return findFirstMpegFrame(bytes) >= 0;
}

function isConfirmedFrame(bytes: Uint8Array, offset: number, announcedByTag: boolean): boolean {
  const first = parseMpegFrameHeader(bytes, offset);
  if (!first) return false;
  const next = offset + first.frameBytes;
  if (next < bytes.length) return parseMpegFrameHeader(bytes, next)?.sampleRate === first.sampleRate;
  // No second header to confirm the first: an exactly one-frame file is MP3, and so is a file
  // that an ID3 tag announces as audio (then cut inside its first frame); a lone sync word is not.
  return next === bytes.length || announcedByTag;
}

export function readMpegStreamInfo(bytes: Uint8Array): MpegStreamInfo {
  const firstFrameOffset = findFirstMpegFrame(bytes);
  const first = firstFrameOffset >= 0 ? parseMpegFrameHeader(bytes, firstFrameOffset) : undefined;
  if (!first) throw new AudioDecodeError('INVALID_HEADER', 'no MPEG audio frame found');
  return {
    sampleRate: first.sampleRate,
    channels: first.channels,
    firstFrameOffset,
    declaredFrames: xingFrameCount(bytes, firstFrameOffset, first) ?? vbriFrameCount(bytes, firstFrameOffset),
    samplesPerFrame: first.samplesPerFrame,
  };
}

function xingFrameCount(bytes: Uint8Array, frameOffset: number, header: MpegFrameHeader): number | undefined {
  const at = frameOffset + 4 + header.sideInfoBytes;
  if (at + 12 > bytes.length) return undefined;
  const tag = String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (tag !== 'Xing' && tag !== 'Info') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hasFrames = (view.getUint32(at + 4) & 1) !== 0;
  return hasFrames ? view.getUint32(at + 8) : undefined;
}

function vbriFrameCount(bytes: Uint8Array, frameOffset: number): number | undefined {
  // Fraunhofer's VBRI tag sits 32 bytes after the frame header.
  const at = frameOffset + 36;
  if (at + 18 > bytes.length) return undefined;
  if (String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]) !== 'VBRI')
    return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at + 14);
}

/**
 * Walks the frames from the first one and returns how many samples per channel the stream holds.
 * Stops counting once `maxSamples` is exceeded, so the walk over a huge input stays short. A last
 * frame cut short means the file was truncated. Bytes that are not a frame header end the walk
 * when they are a trailing tag (ID3v1, APE, Lyrics3); otherwise the walk resynchronises on the next
 * valid header, as decoders do.
 */
export function countMpegSamples(bytes: Uint8Array, info: MpegStreamInfo, maxSamples: number): number {
  let offset = info.firstFrameOffset;
  let samples = 0;
  while (offset + 4 <= bytes.length && samples <= maxSamples) {
    const header = parseMpegFrameHeader(bytes, offset);
    if (!header || header.sampleRate !== info.sampleRate) {
      if (isTrailingTag(bytes, offset)) break;
      offset++;
      continue;
    }
    if (offset + header.frameBytes > bytes.length) {
      throw new AudioDecodeError(
        'TRUNCATED',
        `MP3 ends inside a frame: ${bytes.length - offset} of its ${header.frameBytes} bytes are present`,
      );
    }
    samples += header.samplesPerFrame;
    offset += header.frameBytes;
  }
  return samples;
}

function isTrailingTag(bytes: Uint8Array, offset: number): boolean {
  const text = String.fromCharCode(...bytes.subarray(offset, offset + 8));
  return text.startsWith('TAG') || text === 'APETAGEX' || text.startsWith('LYRICS');
}
