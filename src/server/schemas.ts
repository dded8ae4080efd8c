import { z } from 'zod';
import { DEFAULT_SILENCE_DB } from '../audio/chunk.js';
import type { StemMetadata, StemRecord } from '../index/types.js';
import { INSTRUMENTS, type Instrument, isInstrument } from '../instruments.js';
import type { CompatibleStem } from './compatibility-search.js';
import { ApiError } from './errors.js';
import type { FormFields } from './multipart.js';

/** Schemas and wire mappings shared by several routes. The HTTP API speaks snake_case. */

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable error code'),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const MetadataSchema = z
  .object({
    title: z.string().max(500).optional(),
    tags: z.array(z.string().min(1).max(100)).max(100).optional(),
    key: z.string().min(1).max(32).optional(),
    bpm: z.number().positive().max(1000).optional(),
  })
  .catchall(z.unknown());

export const CatalogName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'catalog names are 1-128 of A-Z a-z 0-9 . _ -');

export const ExternalId = z.string().min(1).max(256);

export const InstrumentName = z.string().describe(`One of: ${INSTRUMENTS.join(', ')}`);

export const StemResponse = z.object({
  id: z.string(),
  catalog: z.string(),
  external_id: z.string().nullable(),
  instrument: z.enum(INSTRUMENTS),
  metadata: z.record(z.string(), z.unknown()),
  duration_seconds: z.number(),
  chunk_count: z.number().int().describe('8 s chunks stored (one every STEMDEX_CHUNK_HOP_SECONDS)'),
  indexed_chunks: z
    .number()
    .int()
    .describe(
      `Chunks in the search index: those at or above the ${DEFAULT_SILENCE_DB} dBFS RMS silence threshold. Fewer than chunk_count when part of the stem is silent; silent chunks are never matched`,
    ),
  created_at: z.string(),
  updated_at: z.string(),
});

export type StemJson = z.infer<typeof StemResponse>;

export function stemJson(stem: StemRecord): StemJson {
  return {
    id: stem.id,
    catalog: stem.catalog,
    external_id: stem.externalId,
    instrument: stem.instrument,
    metadata: stem.metadata,
    duration_seconds: stem.durationSeconds,
    chunk_count: stem.chunkCount,
    indexed_chunks: stem.indexedChunks,
    created_at: stem.createdAt,
    updated_at: stem.updatedAt,
  };
}

export const CompatibleResponse = z.object({
  results: z.array(
    z.object({
      stem: StemResponse,
      score: z
        .number()
        .describe(
          "Cosine similarity of the predicted stem and the stem's best chunk, averaged over the context's (up to 32) chunks",
        ),
      match: z.object({
        context_offset_seconds: z.number().describe('Start of the context (mix) chunk that matched'),
        stem_chunk_index: z.number().int(),
        stem_chunk_offset_seconds: z.number().describe('Start of the matching chunk within the stem'),
      }),
      alignment: z.object({
        offset_seconds: z
          .number()
          .describe('Start the stem at this time on the context timeline (may be negative: trim the stem)'),
        shift_seconds: z.number().describe('Fine shift found by timeline alignment, included above'),
        score: z.number(),
      }),
    }),
  ),
  query: z.object({
    duration_seconds: z.number(),
    chunks: z.number().int(),
    instrument: z.enum(INSTRUMENTS),
  }),
});

export function compatibleJson(results: CompatibleStem[]) {
  return results.map((result) => ({
    stem: stemJson(result.stem),
    score: result.score,
    match: {
      context_offset_seconds: result.match.contextOffsetSeconds,
      stem_chunk_index: result.match.stemChunkIndex,
      stem_chunk_offset_seconds: result.match.stemChunkOffsetSeconds,
    },
    alignment: {
      offset_seconds: result.alignment.offsetSeconds,
      shift_seconds: result.alignment.shiftSeconds,
      score: result.alignment.score,
    },
  }));
}

export function requireInstrument(value: unknown): Instrument {
  if (value === undefined || value === '') {
    throw new ApiError('VALIDATION_FAILED', 'instrument is required', { field: 'instrument' });
  }
  if (typeof value !== 'string' || !isInstrument(value)) {
    throw new ApiError('UNKNOWN_INSTRUMENT', `unknown instrument ${JSON.stringify(value)}`, {
      instruments: [...INSTRUMENTS],
    });
  }
  return value;
}

/** A single-valued form field; sending it twice is a client error, not a silent pick. */
export function singleField(fields: FormFields, name: string): string | undefined {
  const value = fields[name];
  if (Array.isArray(value)) {
    throw new ApiError('VALIDATION_FAILED', `field ${name} was sent more than once`, { field: name });
  }
  return value;
}

/** Tags may come repeated (`tags=a&tags=b`) or comma-separated. */
export function listField(fields: FormFields, name: string): string[] | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value])
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ApiError(
    'VALIDATION_FAILED',
    `${what}: ${result.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`,
    { issues: result.error.issues },
  );
}

/** Metadata from a `metadata` JSON field plus the convenience fields title/tags/key/bpm. */
export function metadataFromForm(fields: FormFields): StemMetadata {
  const raw = singleField(fields, 'metadata');
  let base: unknown = {};
  if (raw !== undefined) {
    try {
      base = JSON.parse(raw);
    } catch {
      throw new ApiError('VALIDATION_FAILED', 'metadata must be a JSON object', { field: 'metadata' });
    }
    if (typeof base !== 'object' || base === null || Array.isArray(base)) {
      throw new ApiError('VALIDATION_FAILED', 'metadata must be a JSON object', { field: 'metadata' });
    }
  }
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  const title = singleField(fields, 'title');
  if (title !== undefined) merged.title = title;
  const tags = listField(fields, 'tags');
  if (tags !== undefined) merged.tags = tags;
  const key = singleField(fields, 'key');
  if (key !== undefined) merged.key = key;
  const bpm = singleField(fields, 'bpm');
  if (bpm !== undefined) merged.bpm = bpm.trim() === '' ? Number.NaN : Number(bpm);
  return parseOrThrow(MetadataSchema, merged, 'metadata') as StemMetadata;
}
