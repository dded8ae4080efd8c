import { AudioDecodeError, AudioOptionError } from './errors.js';

export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'ogg';

/** PCM as the decoders produce it: one Float32Array per channel, all the same length, in [-1, 1]. */
export interface DecodedAudio {
  sampleRate: number;
  channels: Float32Array[];
  format: AudioFormat;
}

export interface DecodeOptions {
  /** Inputs longer than this fail with TOO_LONG before their samples are allocated. */
  maxDurationSeconds?: number;
}

/**
 * Twenty minutes covers any song while keeping one upload's PCM bounded (48 kHz stereo float:
 * about 460 MB); callers with longer material raise it explicitly.
 */
export const DEFAULT_MAX_DURATION_SECONDS = 20 * 60;

/** Rates outside this range are header corruption, not audio anyone records. */
export const MIN_SAMPLE_RATE = 1_000;
export const MAX_SAMPLE_RATE = 768_000;
export const MAX_CHANNELS = 64;

export function resolveMaxDuration(options: DecodeOptions | undefined): number {
  const max = options?.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS;
  if (!(max > 0) || !Number.isFinite(max)) {
    throw new AudioOptionError(`maxDurationSeconds must be a positive finite number, got ${max}`);
  }
  return max;
}

export function checkSampleRate(sampleRate: number, format: AudioFormat): void {
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new AudioDecodeError(
      'INVALID_HEADER',
      `${format.toUpperCase()} header declares a sample rate of ${sampleRate} Hz; ` +
        `supported rates are ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`,
    );
  }
}

export function checkChannelCount(channels: number, format: AudioFormat): void {
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw new AudioDecodeError(
      'INVALID_HEADER',
      `${format.toUpperCase()} header declares ${channels} channels; supported: 1–${MAX_CHANNELS}`,
    );
  }
}

/**
 * Decoded PCM budget, in samples over all channels per second of the duration limit: 96 kHz
 * stereo's worth. Without it a tiny FLAC of many channels of silence at a high rate (a
 * decompression bomb) could decode to tens of gigabytes within the duration limit.
 */
export const PCM_SAMPLES_PER_LIMIT_SECOND = 192_000;

export interface StreamShape {
  sampleRate: number;
  channels: number;
}

/** The most frames (samples per channel) a stream of this shape may decode to. */
export function maxFrames(shape: StreamShape, maxDurationSeconds: number): number {
  return Math.floor(
    Math.min(
      maxDurationSeconds * shape.sampleRate,
      (maxDurationSeconds * PCM_SAMPLES_PER_LIMIT_SECOND) / shape.channels,
    ),
  );
}

/**
 * Throws TOO_LONG when `frames` of this shape exceed the duration limit or the PCM budget; call
 * before allocating.
 */
export function checkDuration(
  frames: number,
  shape: StreamShape,
  maxDurationSeconds: number,
  format: AudioFormat,
): void {
  const seconds = frames / shape.sampleRate;
  const label = format.toUpperCase();
  if (seconds > maxDurationSeconds) {
    throw new AudioDecodeError(
      'TOO_LONG',
      `${label} audio is ${formatDuration(seconds)} long; the limit is ${formatDuration(maxDurationSeconds)}`,
    );
  }
  const budget = maxDurationSeconds * PCM_SAMPLES_PER_LIMIT_SECOND;
  if (frames * shape.channels > budget) {
    throw new AudioDecodeError(
      'TOO_LONG',
      `${label} audio of ${shape.channels} channels at ${shape.sampleRate} Hz for ${formatDuration(seconds)} ` +
        `is ${frames * shape.channels} samples; the limit is ${budget}`,
    );
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  const minutes = seconds / 60;
  return minutes < 120 ? `${minutes.toFixed(1)} min` : `${(minutes / 60).toFixed(1)} h`;
}
