import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AudioDecodeError } from '../../src/audio/errors.js';
import { StemNotFoundError } from '../../src/index/errors.js';
import { QueueFullError } from '../../src/inference/errors.js';
import { ApiError, errorBody, toApiError } from '../../src/server/errors.js';

describe('toApiError', () => {
  it('maps corrupt audio to 422 INVALID_AUDIO with the decoder reason', () => {
    const error = toApiError(new AudioDecodeError('UNKNOWN_FORMAT', 'not audio'));
    expect(error.statusCode).toBe(422);
    expect(errorBody(error)).toEqual({
      error: { code: 'INVALID_AUDIO', message: 'not audio', details: { reason: 'UNKNOWN_FORMAT' } },
    });
  });

  it('maps over-long and empty audio to their own codes', () => {
    expect(toApiError(new AudioDecodeError('TOO_LONG', 'long')).statusCode).toBe(413);
    expect(toApiError(new AudioDecodeError('TOO_LONG', 'long')).code).toBe('AUDIO_TOO_LONG');
    expect(toApiError(new AudioDecodeError('EMPTY_INPUT', 'empty')).code).toBe('EMPTY_AUDIO');
  });

  it('maps a full inference queue to 503 with a retry delay', () => {
    const error = toApiError(new QueueFullError(3, 256));
    expect(error.statusCode).toBe(503);
    expect(error.code).toBe('QUEUE_FULL');
    expect(error.retryAfterSeconds).toBe(3);
  });

  it('passes catalog codes through with their details', () => {
    const error = toApiError(new StemNotFoundError('abc'));
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.details).toEqual({ stemId: 'abc' });
  });

  it('turns zod failures into 400 VALIDATION_FAILED naming the field', () => {
    const result = z.object({ k: z.number() }).safeParse({ k: 'x' });
    const error = toApiError(result.error);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('k:');
  });

  it('hides the message of unknown failures', () => {
    const error = toApiError(new Error('secret connection string'));
    expect(error.statusCode).toBe(500);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).not.toContain('secret');
  });

  it('keeps ApiErrors as they are', () => {
    const original = new ApiError('UNKNOWN_INSTRUMENT', 'kazoo');
    expect(toApiError(original)).toBe(original);
    expect(original.statusCode).toBe(400);
  });
});
