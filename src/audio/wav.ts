import {
  checkChannelCount,
  checkDuration,
  checkSampleRate,
  type DecodedAudio,
  type DecodeOptions,
  resolveMaxDuration,
} from './decoded-audio.js';
import { AudioDecodeError, AudioOptionError } from './errors.js';

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Written by streaming encoders that cannot seek back: "the data runs to the end of the file". */
const UNKNOWN_DATA_SIZE = 0xffffffff;

type SampleEncoding = 'int' | 'float';

interface WavFormat {
  encoding: SampleEncoding;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

interface RiffChunk {
  id: string;
  bodyOffset: number;
  /** Declared body size, as written in the header (may exceed the bytes present). */
  size: number;
}

export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && fourCC(bytes, 0) === 'RIFF' && fourCC(bytes, 8) === 'WAVE';
}

/**
 * Parses a RIFF/WAVE file: PCM 8/16/24/32-bit integer and 32/64-bit float, plain or
 * WAVE_FORMAT_EXTENSIBLE, any channel count. Sizes are validated against the limit and the bytes
 * present before any sample buffer is allocated.
 */
export function parseWav(bytes: Uint8Array, options?: DecodeOptions): DecodedAudio {
  const maxDurationSeconds = resolveMaxDuration(options);
  rejectOtherRiffVariants(bytes);
  if (bytes.length < 12) throw new AudioDecodeError('TRUNCATED', 'WAV file ends inside its RIFF header');
  if (!isWav(bytes)) throw new AudioDecodeError('UNKNOWN_FORMAT', 'not a RIFF/WAVE file');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: WavFormat | undefined;
  for (const chunk of riffChunks(bytes, view)) {
    if (chunk.id === 'fmt ') {
      format = parseFormatChunk(view, chunk);
    } else if (chunk.id === 'data') {
      if (!format) throw new AudioDecodeError('INVALID_HEADER', 'WAV data chunk comes before its fmt chunk');
      return {
        sampleRate: format.sampleRate,
        channels: readSamples(view, chunk, format, maxDurationSeconds),
        format: 'wav',
      };
    }
  }
  throw new AudioDecodeError(
    'TRUNCATED',
    format ? 'WAV file ends before its data chunk' : 'WAV file ends before its fmt chunk',
  );
}

function rejectOtherRiffVariants(bytes: Uint8Array): void {
  if (bytes.length < 4) return;
  const magic = fourCC(bytes, 0);
  if (magic === 'RF64' || magic === 'BW64') {
    throw new AudioDecodeError('UNSUPPORTED_ENCODING', `${magic} (64-bit WAV) files are not supported`);
  }
  if (magic === 'RIFX') {
    throw new AudioDecodeError('UNSUPPORTED_ENCODING', 'big-endian RIFX WAV files are not supported');
  }
}

function* riffChunks(bytes: Uint8Array, view: DataView): Generator<RiffChunk> {
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const chunk = {
      id: fourCC(bytes, offset),
      bodyOffset: offset + 8,
      size: view.getUint32(offset + 4, true),
    };
    yield chunk;
    // Chunk bodies are padded to an even length.
    offset = chunk.bodyOffset + chunk.size + (chunk.size & 1);
  }
}

function parseFormatChunk(view: DataView, chunk: RiffChunk): WavFormat {
  if (chunk.size < 16)
    throw new AudioDecodeError(
      'INVALID_HEADER',
      `WAV fmt chunk is ${chunk.size} bytes; at least 16 expected`,
    );
  if (chunk.bodyOffset + 16 > view.byteLength)
    throw new AudioDecodeError('TRUNCATED', 'WAV file ends inside its fmt chunk');
  const at = chunk.bodyOffset;
  let formatTag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (chunk.size < 40 || at + 26 > view.byteLength) {
      throw new AudioDecodeError(
        'INVALID_HEADER',
        'WAVE_FORMAT_EXTENSIBLE fmt chunk is too short for its sub-format',
      );
    }
    // The sub-format GUID starts with the plain format tag.
    formatTag = view.getUint16(at + 24, true);
  }
  checkChannelCount(channels, 'wav');
  checkSampleRate(sampleRate, 'wav');
  const encoding = sampleEncoding(formatTag, bitsPerSample);
  const expectedBlockAlign = channels * (bitsPerSample / 8);
  if (blockAlign !== expectedBlockAlign) {
    throw new AudioDecodeError(
      'INVALID_HEADER',
      `WAV block align is ${blockAlign} bytes; ${channels} channels of ${bitsPerSample}-bit samples need ${expectedBlockAlign}`,
    );
  }
  return { encoding, channels, sampleRate, bitsPerSample, blockAlign };
}

function sampleEncoding(formatTag: number, bitsPerSample: number): SampleEncoding {
  if (formatTag === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bitsPerSample)) return 'int';
  if (formatTag === WAVE_FORMAT_IEEE_FLOAT && (bitsPerSample === 32 || bitsPerSample === 64)) return 'float';
  const kind =
    formatTag === WAVE_FORMAT_PCM
      ? 'integer PCM'
      : formatTag === WAVE_FORMAT_IEEE_FLOAT
        ? 'float'
        : `format tag 0x${formatTag.toString(16).padStart(4, '0')}`;
  throw new AudioDecodeError(
    'UNSUPPORTED_ENCODING',
    `WAV ${kind} with ${bitsPerSample} bits per sample is not supported (PCM 8/16/24/32-bit int or 32/64-bit float only)`,
  );
}

function readSamples(
  view: DataView,
  chunk: RiffChunk,
  format: WavFormat,
  maxDurationSeconds: number,
): Float32Array[] {
  const available = view.byteLength - chunk.bodyOffset;
  const declared = chunk.size === UNKNOWN_DATA_SIZE ? available : chunk.size;
  const frames = Math.floor(declared / format.blockAlign);
  checkDuration(frames, format, maxDurationSeconds, 'wav');
  if (declared > available) {
    throw new AudioDecodeError(
      'TRUNCATED',
      `WAV data chunk declares ${declared} bytes but only ${available} are present`,
    );
  }
  const channels = Array.from({ length: format.channels }, () => new Float32Array(frames));
  const readSample = sampleReader(view, format);
  const bytesPerSample = format.bitsPerSample / 8;
  for (let c = 0; c < format.channels; c++) {
    const out = channels[c];
    let offset = chunk.bodyOffset + c * bytesPerSample;
    for (let i = 0; i < frames; i++, offset += format.blockAlign) out[i] = readSample(offset);
  }
  return channels;
}

/** Maps one little-endian sample to [-1, 1): integers are divided by 2^(bits-1). */
function sampleReader(view: DataView, format: WavFormat): (offset: number) => number {
  if (format.encoding === 'float') {
    return format.bitsPerSample === 32 ? (o) => view.getFloat32(o, true) : (o) => view.getFloat64(o, true);
  }
  switch (format.bitsPerSample) {
    case 8:
      // 8-bit WAV is the one unsigned PCM width.
      return (o) => (view.getUint8(o) - 128) / 128;
    case 16:
      return (o) => view.getInt16(o, true) / 32768;
    case 24:
      return (o) => ((view.getInt8(o + 2) << 16) | view.getUint16(o, true)) / 8388608;
    default:
      return (o) => view.getInt32(o, true) / 2147483648;
  }
}

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

export interface WavEncoding {
  bitDepth: 16 | 24 | 32;
  /** 32-bit IEEE float instead of integer PCM; only with bitDepth 32. */
  float?: boolean;
}

/**
 * Encodes channels (equal lengths, values in [-1, 1]; integers are clipped) as a WAV file.
 * More than two channels or more than 16 bits are written as WAVE_FORMAT_EXTENSIBLE, as the
 * format's specification asks.
 */
export function encodeWav(
  channels: Float32Array[],
  sampleRate: number,
  format: WavEncoding = { bitDepth: 16 },
): Uint8Array {
  validateEncodeArguments(channels, sampleRate, format);
  const isFloat = format.float === true;
  const bytesPerSample = format.bitDepth / 8;
  const frames = channels[0].length;
  const blockAlign = channels.length * bytesPerSample;
  const dataBytes = frames * blockAlign;
  const extensible = channels.length > 2 || format.bitDepth > 16;
  const fmtBytes = extensible ? 40 : 16;
  const header = 12 + 8 + fmtBytes + 8;
  const bytes = new Uint8Array(header + dataBytes + (dataBytes & 1));
  const view = new DataView(bytes.buffer);
  const formatTag = isFloat ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM;

  writeFourCC(bytes, 0, 'RIFF');
  view.setUint32(4, bytes.length - 8, true);
  writeFourCC(bytes, 8, 'WAVE');
  writeFourCC(bytes, 12, 'fmt ');
  view.setUint32(16, fmtBytes, true);
  view.setUint16(20, extensible ? WAVE_FORMAT_EXTENSIBLE : formatTag, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, format.bitDepth, true);
  if (extensible) {
    view.setUint16(36, 22, true);
    view.setUint16(38, format.bitDepth, true);
    view.setUint32(40, 0, true);
    // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {0000000X-0000-0010-8000-00AA00389B71}
    bytes.set([formatTag, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71], 44);
  }
  const dataAt = 20 + fmtBytes;
  writeFourCC(bytes, dataAt, 'data');
  view.setUint32(dataAt + 4, dataBytes, true);
  writeSamples(view, dataAt + 8, channels, format.bitDepth, isFloat);
  return bytes;
}

function validateEncodeArguments(channels: Float32Array[], sampleRate: number, format: WavEncoding): void {
  if (channels.length === 0) throw new AudioOptionError('encodeWav needs at least one channel');
  if (channels.some((channel) => channel.length !== channels[0].length)) {
    throw new AudioOptionError('encodeWav channels must all have the same length');
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new AudioOptionError(`encodeWav sample rate must be a positive integer, got ${sampleRate}`);
  }
  if (![16, 24, 32].includes(format.bitDepth)) {
    throw new AudioOptionError(`encodeWav bit depth must be 16, 24 or 32, got ${format.bitDepth}`);
  }
  if (format.float && format.bitDepth !== 32) {
    throw new AudioOptionError('encodeWav writes float samples only with bitDepth 32');
  }
}

function writeSamples(
  view: DataView,
  offset: number,
  channels: Float32Array[],
  bitDepth: number,
  isFloat: boolean,
): void {
  const bytesPerSample = bitDepth / 8;
  const scale = 2 ** (bitDepth - 1);
  const frames = channels[0].length;
  for (let i = 0; i < frames; i++) {
    for (const channel of channels) {
      const x = channel[i];
      if (isFloat) {
        view.setFloat32(offset, x, true);
      } else {
        const q = Math.max(-scale, Math.min(scale - 1, Math.round(x * scale)));
        if (bitDepth === 16) view.setInt16(offset, q, true);
        else if (bitDepth === 32) view.setInt32(offset, q, true);
        else {
          view.setUint16(offset, q & 0xffff, true);
          view.setInt8(offset + 2, q >> 16);
        }
      }
      offset += bytesPerSample;
    }
  }
}

function writeFourCC(bytes: Uint8Array, offset: number, id: string): void {
  for (let i = 0; i < 4; i++) bytes[offset + i] = id.charCodeAt(i);
}
