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
