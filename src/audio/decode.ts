import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import { MPEGDecoder } from 'mpg123-decoder';
import {
  type AudioFormat,
  checkChannelCount,
  checkDuration,
  checkSampleRate,
  type DecodedAudio,
  type DecodeOptions,
  maxFrames,
  resolveMaxDuration,
} from './decoded-audio.js';
import { AudioDecodeError } from './errors.js';
import { isFlac, readFlacStreamInfo } from './flac-header.js';
import { countMpegSamples, id3v2Length, looksLikeMpeg, readMpegStreamInfo } from './mpeg-frames.js';
import { isOgg, readOggVorbisInfo } from './ogg-pages.js';
import { isWav, parseWav } from './wav.js';

export type { AudioFormat, DecodedAudio, DecodeOptions } from './decoded-audio.js';

/** Input is fed to the WASM decoders in pieces so the running length can be checked between them. */
const FEED_BYTES = 256 * 1024;

/**
 * Identifies the container from its magic bytes. WAV and Ogg are recognised by their headers;
 * FLAC also behind an ID3v2 tag; MP3 needs two consecutive valid frame headers (after any ID3v2
 * tag), so random bytes that happen to start with a sync word are not taken for MP3.
 */
export function sniffFormat(bytes: Uint8Array): AudioFormat | undefined {
  if (isWav(bytes)) return 'wav';
  if (isOgg(bytes)) return 'ogg';
  if (isFlac(bytes, id3v2Length(bytes))) return 'flac';
  if (looksLikeMpeg(bytes)) return 'mp3';
  return undefined;
}

/**
 * Decodes WAV, FLAC, MP3 or Ogg/Vorbis bytes to float PCM. Durations declared or implied by the
 * headers are checked against `maxDurationSeconds` before sample buffers are allocated, and the
 * compressed formats are also checked while decoding, so a lying header cannot inflate memory.
 */
export async function decodeAudio(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedAudio> {
  const maxDurationSeconds = resolveMaxDuration(options);
  if (bytes.length === 0) throw new AudioDecodeError('EMPTY_INPUT', 'the input is empty (0 bytes)');
  const decoded = await decodeFormat(bytes, maxDurationSeconds);
  // A well-formed header over zero samples (e.g. a WAV data chunk of size 0) is still no audio.
  if ((decoded.channels[0]?.length ?? 0) === 0) {
    throw new AudioDecodeError('EMPTY_INPUT', `the ${decoded.format} file holds no samples`);
  }
  return decoded;
}

async function decodeFormat(bytes: Uint8Array, maxDurationSeconds: number): Promise<DecodedAudio> {
  switch (sniffFormat(bytes)) {
    case 'wav':
      return parseWav(bytes, { maxDurationSeconds });
    case 'flac':
      return decodeFlac(bytes.subarray(id3v2Length(bytes)), maxDurationSeconds);
    case 'ogg':
      return decodeOggVorbis(bytes, maxDurationSeconds);
    case 'mp3':
      return decodeMpeg(bytes, maxDurationSeconds);
    default:
      throw unknownFormat(bytes);
  }
}

function unknownFormat(bytes: Uint8Array): AudioDecodeError {
  const start = String.fromCharCode(...bytes.subarray(0, 4));
  if (['RIFF', 'RF64', 'RIFX', 'BW64'].includes(start)) {
    // A RIFF file that is not plain WAVE: parseWav says which variant, or where it was cut.
    try {
      parseWav(bytes);
    } catch (error) {
      if (error instanceof AudioDecodeError) return error;
    }
  }
  if (start.startsWith('ID3') && id3v2Length(bytes) > bytes.length) {
    return new AudioDecodeError('TRUNCATED', 'file ends inside its ID3 tag');
  }
  if (bytes.length < 12) {
    return new AudioDecodeError(
      'UNKNOWN_FORMAT',
      `input is only ${bytes.length} bytes: too short to be audio`,
    );
  }
  return new AudioDecodeError('UNKNOWN_FORMAT', 'input is not WAV, FLAC, MP3 or Ogg/Vorbis audio');
}

async function decodeFlac(bytes: Uint8Array, maxDurationSeconds: number): Promise<DecodedAudio> {
  const info = readFlacStreamInfo(bytes);
  checkSampleRate(info.sampleRate, 'flac');
  checkChannelCount(info.channels, 'flac');
  checkDuration(info.totalSamples, info, maxDurationSeconds, 'flac');
  const channels = await decodeIncrementally(
    new FLACDecoder(),
    bytes,
    maxFrames(info, maxDurationSeconds),
    'flac',
  );
  const decoded = channels[0]?.length ?? 0;
  // totalSamples 0 means the encoder did not know the length; nothing to compare then.
  if (info.totalSamples > 0 && decoded < info.totalSamples) {
    throw new AudioDecodeError(
      'TRUNCATED',
      `FLAC stream declares ${info.totalSamples} samples per channel but only ${decoded} could be decoded`,
    );
  }
  const fitted = fitLength(channels, info.totalSamples || decoded);
  return { sampleRate: info.sampleRate, channels: toWavScale(fitted, info.bitsPerSample), format: 'flac' };
}

/**
 * The FLAC decoder divides integers by 2^(bits-1) - 1; WAV (and most tools) divide by 2^(bits-1).
 * Rescaling makes a FLAC and the WAV it was made from decode to identical floats.
 */
function toWavScale(channels: Float32Array[], bitsPerSample: number): Float32Array[] {
  const fullScale = 2 ** (bitsPerSample - 1);
  const factor = (fullScale - 1) / fullScale;
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) channel[i] *= factor;
  }
  return channels;
}

async function decodeOggVorbis(bytes: Uint8Array, maxDurationSeconds: number): Promise<DecodedAudio> {
  const info = readOggVorbisInfo(bytes);
  checkSampleRate(info.sampleRate, 'ogg');
  checkChannelCount(info.channels, 'ogg');
  checkDuration(info.totalSamples, info, maxDurationSeconds, 'ogg');
  const channels = await decodeIncrementally(
    new OggVorbisDecoder(),
    bytes,
    maxFrames(info, maxDurationSeconds),
    'ogg',
  );
  return { sampleRate: info.sampleRate, channels, format: 'ogg' };
}

async function decodeMpeg(bytes: Uint8Array, maxDurationSeconds: number): Promise<DecodedAudio> {
  const info = readMpegStreamInfo(bytes);
  const maxSamples = maxFrames(info, maxDurationSeconds);
  if (info.declaredFrames !== undefined) {
    checkDuration(info.declaredFrames * info.samplesPerFrame, info, maxDurationSeconds, 'mp3');
  }
  const walkedSamples = countMpegSamples(bytes, info, maxSamples);
  checkDuration(walkedSamples, info, maxDurationSeconds, 'mp3');
  // The Xing/Info frame carries the count but no audio, hence the one-frame allowance.
  const walkedFrames = walkedSamples / info.samplesPerFrame;
  if (info.declaredFrames !== undefined && walkedFrames + 1 < info.declaredFrames) {
    throw new AudioDecodeError(
      'TRUNCATED',
      `MP3 header declares ${info.declaredFrames} frames but only ${walkedFrames} are present`,
    );
  }
  // Gapless mode trims the encoder delay and padding recorded in the LAME tag.
  const channels = await decodeIncrementally(
    new MPEGDecoder({ enableGapless: true }),
    bytes,
    maxSamples,
    'mp3',
  );
  return { sampleRate: info.sampleRate, channels, format: 'mp3' };
}

interface DecoderOutput {
  channelData: Float32Array[];
  samplesDecoded: number;
  errors: { message: string }[];
}

interface WasmDecoder {
  ready: Promise<void>;
  decode(bytes: Uint8Array): DecoderOutput | Promise<DecoderOutput>;
  flush?: () => Promise<DecoderOutput>;
  free(): void;
}

/**
 * Runs a WASM decoder over the input piece by piece and frees its instance whatever happens (the
 * compiled module is cached by the decoder library, so a fresh instance per file costs ~1 ms and
 * concurrent decodes never share state).
 */
async function decodeIncrementally(
  decoder: WasmDecoder,
  bytes: Uint8Array,
  maxSamples: number,
  format: AudioFormat,
): Promise<Float32Array[]> {
  const collected = new PcmCollector(maxSamples, format);
  try {
    await decoder.ready;
    for (let offset = 0; offset < bytes.length; offset += FEED_BYTES) {
      collected.add(await decoder.decode(bytes.subarray(offset, offset + FEED_BYTES)));
    }
    if (decoder.flush) collected.add(await decoder.flush());
  } catch (error) {
    if (error instanceof AudioDecodeError) throw error;
    throw new AudioDecodeError(
      'DECODE_FAILED',
      `${format.toUpperCase()} decoder failed: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    decoder.free();
  }
  return collected.concatenate();
}

class PcmCollector {
  private readonly pieces: Float32Array[][] = [];
  private readonly errors: string[] = [];
  private samples = 0;

  constructor(
    private readonly maxSamples: number,
    private readonly format: AudioFormat,
  ) {}

  add(output: DecoderOutput): void {
    for (const error of output.errors) this.errors.push(error.message);
    if (output.samplesDecoded === 0) return;
    const expectedChannels = this.pieces[0]?.length ?? output.channelData.length;
    if (output.channelData.length !== expectedChannels) {
      throw new AudioDecodeError(
        'DECODE_FAILED',
        `${this.format.toUpperCase()} stream changes its channel count`,
      );
    }
    this.samples += output.samplesDecoded;
    if (this.samples > this.maxSamples) {
      throw new AudioDecodeError(
        'TOO_LONG',
        `${this.format.toUpperCase()} audio decodes to more than the ${this.maxSamples} samples per channel allowed`,
      );
    }
    this.pieces.push(output.channelData.map((channel) => channel.subarray(0, output.samplesDecoded)));
  }

  concatenate(): Float32Array[] {
    if (this.samples === 0) {
      const reason = this.errors.length > 0 ? `: ${this.errors[0]}` : '';
      throw new AudioDecodeError(
        'DECODE_FAILED',
        `no audio could be decoded from the ${this.format.toUpperCase()} stream${reason}`,
      );
    }
    const channelCount = this.pieces[0].length;
    return Array.from({ length: channelCount }, (_, c) => {
      const channel = new Float32Array(this.samples);
      let offset = 0;
      for (const piece of this.pieces) {
        channel.set(piece[c], offset);
        offset += piece[c].length;
      }
      return channel;
    });
  }
}

/** Trims decoder overshoot (FLAC's last block can run past the declared length). */
function fitLength(channels: Float32Array[], length: number): Float32Array[] {
  return channels.map((channel) => (channel.length > length ? channel.subarray(0, length) : channel));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
