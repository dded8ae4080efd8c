/**
 * Why an input could not be turned into audio. The codes are stable: the service maps them to
 * HTTP 4xx bodies and clients may branch on them, so only add to this list.
 */
export type AudioDecodeErrorCode =
  | 'EMPTY_INPUT'
  | 'UNKNOWN_FORMAT'
  | 'TRUNCATED'
  | 'INVALID_HEADER'
  | 'UNSUPPORTED_ENCODING'
  | 'TOO_LONG'
  | 'DECODE_FAILED';

const CODES: ReadonlySet<string> = new Set<AudioDecodeErrorCode>([
  'EMPTY_INPUT',
  'UNKNOWN_FORMAT',
  'TRUNCATED',
  'INVALID_HEADER',
  'UNSUPPORTED_ENCODING',
  'TOO_LONG',
  'DECODE_FAILED',
]);

export function isAudioDecodeErrorCode(value: unknown): value is AudioDecodeErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

/** The input bytes are not audio this front end can decode; the message says what is wrong. */
export class AudioDecodeError extends Error {
  override readonly name = 'AudioDecodeError';

  constructor(
    readonly code: AudioDecodeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A caller passed an option outside its valid range (a programming or request-validation error). */
export class AudioOptionError extends RangeError {
  override readonly name = 'AudioOptionError';
  readonly code = 'INVALID_OPTION';
}

/**
 * Every chunk of the audio is below the silence threshold, so it holds nothing to index or to
 * search with. Not a decode failure: the bytes were valid audio, just (near) silent.
 */
export class SilentAudioError extends Error {
  override readonly name = 'SilentAudioError';
  readonly code = 'SILENT_AUDIO';

  constructor(
    /** RMS level of the loudest chunk in dBFS; -Infinity for digital silence. */
    readonly levelDb: number,
    readonly thresholdDb: number,
  ) {
    super(
      Number.isFinite(levelDb)
        ? `the audio is silent: its loudest 8 s chunk is at ${levelDb.toFixed(1)} dBFS RMS, below the ${thresholdDb} dBFS silence threshold`
        : `the audio is digital silence (every sample is zero), below the ${thresholdDb} dBFS silence threshold`,
    );
  }
}
