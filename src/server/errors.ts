import { SilentAudioError } from '../audio/errors.js';

/**
 * The HTTP error model. Every 4xx/5xx body is `{ error: { code, message, details? } }`; `code` is
 * stable and documented here, `message` is for humans and may change.
 */
export const ERROR_CODES = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  MISSING_FILE: 400,
  UNKNOWN_INSTRUMENT: 400,
  INVALID_CURSOR: 400,
  EMPTY_AUDIO: 400,
  FILE_NOT_FOUND: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CATALOG_FORBIDDEN: 403,
  NOT_FOUND: 404,
  AUDIO_NOT_AVAILABLE: 404,
  PATH_NOT_ALLOWED: 403,
  PAYLOAD_TOO_LARGE: 413,
  AUDIO_TOO_LONG: 413,
  TOO_MANY_FILES: 413,
  INVALID_AUDIO: 422,
  SILENT_AUDIO: 422,
  DIMENSION_MISMATCH: 409,
  RATE_LIMITED: 429,
  QUEUE_FULL: 503,
  NOT_READY: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds a client should wait before retrying (sets `Retry-After`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.statusCode = ERROR_CODES[code];
  }
}

/** Where a client that ingests stem by stem should go instead of raising its request budget. */
export const BULK_INGEST_ROUTE = 'POST /v1/ingest';

/**
 * 429 past the per-client request budget. The budget counts requests, not files, so the message
 * points clients that upload one stem per request at batch ingestion (many files per request).
 */
export function rateLimitedError(max: number, window: string, retryAfterSeconds: number): ApiError {
  return new ApiError(
    'RATE_LIMITED',
    `rate limit of ${max} requests per ${window} exceeded; retry in ${retryAfterSeconds} s. ` +
      `To ingest many stems, send them together: ${BULK_INGEST_ROUTE} takes many files in one multipart request ` +
      '(STEMDEX_MAX_FILES_PER_REQUEST, default 100) and counts once against this limit',
    { limit: max, window, retry_after_seconds: retryAfterSeconds, bulk_ingest: BULK_INGEST_ROUTE },
    retryAfterSeconds,
  );
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(error: ApiError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

interface CodedError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  name?: unknown;
  validation?: unknown;
  retryAfterSeconds?: unknown;
  issues?: unknown;
  details?: unknown;
}

/** Audio decoder reasons that mean "the client sent nothing usable" rather than "broken audio". */
const AUDIO_CODE_TO_API: Record<string, ErrorCode> = {
  EMPTY_INPUT: 'EMPTY_AUDIO',
  TOO_LONG: 'AUDIO_TOO_LONG',
};

/** Fastify / @fastify/multipart error codes that have a stable meaning for clients. */
const FASTIFY_CODE_TO_API: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'TOO_MANY_FILES',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_PROTO_VIOLATION: 'BAD_REQUEST',
};

/** Catalog error codes (src/index/errors.ts) as clients see them. */
const CATALOG_CODE_TO_API: Record<string, ErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  JOB_NOT_FOUND: 'NOT_FOUND',
  INVALID_CURSOR: 'INVALID_CURSOR',
  DIMENSION_MISMATCH: 'DIMENSION_MISMATCH',
  INVALID_JOB: 'BAD_REQUEST',
  CATALOG_CLOSED: 'NOT_READY',
};

/**
 * Maps anything thrown by a route, a plugin or a library to the documented error model.
 * Unknown failures become INTERNAL without leaking their message.
 */
export function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  const err = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as CodedError;
  const message = typeof err.message === 'string' ? err.message : String(thrown);
  const code = typeof err.code === 'string' ? err.code : undefined;

  if (thrown instanceof SilentAudioError) return silentAudio(thrown);
  if (err.name === 'AudioDecodeError' && code !== undefined) {
    const apiCode = AUDIO_CODE_TO_API[code] ?? 'INVALID_AUDIO';
    return new ApiError(apiCode, message, { reason: code });
  }
  if (code === 'QUEUE_FULL') {
    const retry = typeof err.retryAfterSeconds === 'number' ? err.retryAfterSeconds : 1;
    return new ApiError('QUEUE_FULL', 'inference queue is full, retry later', undefined, retry);
  }
  if (code === 'SHUTTING_DOWN') return new ApiError('NOT_READY', message);
  if (err.name === 'ZodError' && Array.isArray(err.issues)) {
    return new ApiError('VALIDATION_FAILED', zodMessage(err.issues), { issues: err.issues });
  }
  if (err.validation !== undefined) {
    return new ApiError('VALIDATION_FAILED', message, { issues: err.validation });
  }
  if (err.name !== undefined && code !== undefined && CATALOG_CODE_TO_API[code] !== undefined) {
    const details = err.details as Record<string, unknown> | undefined;
    return new ApiError(CATALOG_CODE_TO_API[code], message, details);
  }
  if (code !== undefined && FASTIFY_CODE_TO_API[code] !== undefined) {
    return new ApiError(FASTIFY_CODE_TO_API[code], message);
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status === 404) return new ApiError('NOT_FOUND', message);
  if (status === 413) return new ApiError('PAYLOAD_TOO_LARGE', message);
  if (status === 415) return new ApiError('UNSUPPORTED_MEDIA_TYPE', message);
  if (status >= 400 && status < 500) return new ApiError('BAD_REQUEST', message);
  return new ApiError('INTERNAL', 'internal server error');
}

/** Digital silence has no finite level: JSON carries it as null. */
function silentAudio(error: SilentAudioError): ApiError {
  return new ApiError('SILENT_AUDIO', error.message, {
    level_dbfs: Number.isFinite(error.levelDb) ? Math.round(error.levelDb * 10) / 10 : null,
    threshold_dbfs: error.thresholdDb,
  });
}

function zodMessage(issues: unknown[]): string {
  return issues
    .map((issue) => {
      const { path, message } = issue as { path?: unknown[]; message?: string };
      const where = Array.isArray(path) && path.length > 0 ? `${path.join('.')}: ` : '';
      return `${where}${message ?? 'invalid'}`;
    })
    .join('; ');
}
