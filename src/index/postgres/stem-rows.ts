import type { Instrument } from '../../instruments.js';
import { decodeFloat16, decodeFloat32, encodeFloat16, encodeFloat32 } from '../float16.js';
import type { ChunkInput, ChunkRecord, StemMetadata, StemRecord } from '../types.js';

/** Row ⇄ record mapping for the PostgreSQL catalog's stems and chunks tables. */

export interface StemRow {
  pk: string;
  id: string;
  catalog: string;
  external_id: string | null;
  instrument: string;
  metadata: string;
  duration_seconds: number;
  chunk_count: number;
  indexed_count: number;
  created_at: Date;
  updated_at: Date;
}

export interface ChunkRow {
  idx: number;
  offset_seconds: number;
  silent: boolean;
  vector: Buffer;
  timeline: Buffer;
  patches: Buffer;
}

/** The metadata facts search filters on, extracted with the local backend's rules. */
export interface FilterFacts {
  tags: string[] | null;
  keyLower: string | null;
  bpm: number | null;
}

export function filterFacts(metadata: StemMetadata): FilterFacts {
  return {
    tags: Array.isArray(metadata.tags)
      ? metadata.tags.filter((tag): tag is string => typeof tag === 'string')
      : null,
    keyLower: typeof metadata.key === 'string' ? metadata.key.toLowerCase() : null,
    bpm: typeof metadata.bpm === 'number' && Number.isFinite(metadata.bpm) ? metadata.bpm : null,
  };
}

export function toStemRecord(row: StemRow): StemRecord {
  return {
    id: row.id,
    catalog: row.catalog,
    externalId: row.external_id,
    instrument: row.instrument as Instrument,
    metadata: JSON.parse(row.metadata) as StemMetadata,
    durationSeconds: row.duration_seconds,
    chunkCount: row.chunk_count,
    indexedChunks: row.indexed_count,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toChunkRecord(row: ChunkRow): ChunkRecord {
  return {
    index: row.idx,
    offsetSeconds: row.offset_seconds,
    silent: row.silent,
    vector: decodeFloat32(row.vector),
    timeline: decodeFloat32(row.timeline),
    patches: decodeFloat16(row.patches),
  };
}

/** pgvector's text input format; JS prints a float32 value so that it parses back to the same float32. */
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/** Column arrays for one multi-row chunk insert (`unnest`), silent chunks without an embedding. */
export function chunkColumns(chunks: ChunkInput[]) {
  return {
    idx: chunks.map((chunk) => chunk.index),
    offsetSeconds: chunks.map((chunk) => chunk.offsetSeconds),
    silent: chunks.map((chunk) => chunk.silent),
    vector: chunks.map((chunk) => encodeFloat32(chunk.vector)),
    embedding: chunks.map((chunk) => (chunk.silent ? null : vectorLiteral(chunk.vector))),
    timeline: chunks.map((chunk) => encodeFloat32(chunk.timeline)),
    patches: chunks.map((chunk) => encodeFloat16(chunk.patches)),
  };
}
