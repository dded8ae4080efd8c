import type { Instrument } from '../instruments.js';

/**
 * The catalog contract shared by every backend (the local SQLite + HNSW one here, a
 * PostgreSQL + pgvector one later). All methods are async so a networked backend fits the
 * same shape; the local backend resolves synchronously-computed results.
 */

/** Free-form stem metadata; the well-known keys are the ones search can filter on. */
export interface StemMetadata {
  title?: string;
  tags?: string[];
  key?: string;
  bpm?: number;
  [key: string]: unknown;
}

export interface StemRecord {
  id: string;
  catalog: string;
  externalId: string | null;
  instrument: Instrument;
  metadata: StemMetadata;
  durationSeconds: number;
  chunkCount: number;
  /** Chunks in the search index: the non-silent ones (silent chunks are stored, never matched). */
  indexedChunks: number;
  /** ISO-8601 timestamps. `createdAt` survives an upsert that replaces the stem. */
  createdAt: string;
  updatedAt: string;
}

/** One 8 s chunk of a stem as the embedder produced it. */
export interface ChunkInput {
  index: number;
  offsetSeconds: number;
  /** Silent chunks are stored (offsets stay contiguous) but never indexed for search. */
  silent: boolean;
  /** L2-normalised pooled embedding, length `dim`. */
  vector: Float32Array;
  /** Per time column embeddings, gridTime × dim, time-major. */
  timeline: Float32Array;
  /** Encoder patch embeddings, numPatches × dim; stored as float16. */
  patches: Float32Array;
}

export type ChunkRecord = ChunkInput;

export interface UpsertStemInput {
  catalog: string;
  /** When set, an existing stem with the same (catalog, externalId) is replaced atomically. */
  externalId?: string | null;
  instrument: Instrument;
  metadata: StemMetadata;
  durationSeconds: number;
  chunks: ChunkInput[];
}

export interface ListStemsOptions {
  catalog?: string;
  /** Only stems of these catalogs (e.g. those an API key may read); undefined: every catalog. */
  catalogs?: readonly string[];
  instrument?: Instrument;
  /** 1..1000 */
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`, valid only with the same filters. */
  cursor?: string | null;
}

export interface StemPage {
  items: StemRecord[];
  nextCursor: string | null;
}

export interface MetadataFilter {
  /** The stem must carry every listed tag. */
  tags?: string[];
  /** Case-insensitive exact match. */
  key?: string;
  bpmMin?: number;
  bpmMax?: number;
}

export interface SearchOptions {
  k: number;
  instrument: Instrument;
  catalog?: string;
  /** Only stems of these catalogs (e.g. those an API key may read); undefined: every catalog. */
  catalogs?: readonly string[];
  filter?: MetadataFilter;
  excludeStemIds?: string[];
}

export interface SearchHit {
  stem: StemRecord;
  /** Cosine similarity of the query to the stem's best chunk, in [-1, 1]. */
  score: number;
  chunk: { index: number; offsetSeconds: number; timeline: Float32Array };
}

export interface InstrumentStats {
  stems: number;
  chunks: number;
  /** Live vectors in the ANN index (non-silent chunks). */
  indexed: number;
  /** Vectors marked deleted in the ANN index, dropped by `compact()`. */
  deletedInIndex: number;
}

export interface CatalogStats {
  stems: number;
  chunks: number;
  byInstrument: Partial<Record<Instrument, InstrumentStats>>;
  /** Total live vectors across the ANN indexes. */
  indexSize: number;
  /** Store change sequence number and the one the last index snapshot reflects. */
  sequence: number;
  snapshotSequence: number | null;
  storeBytes: number;
}

export interface CatalogStore {
  readonly dim: number;
  readonly modelId: string;
  /** Batch ingestion jobs, kept in the same durable store. */
  readonly jobs: JobStore;
  upsertStem(input: UpsertStemInput): Promise<StemRecord>;
  getStem(id: string): Promise<StemRecord | null>;
  getStemByExternalId(catalog: string, externalId: string): Promise<StemRecord | null>;
  listStems(options: ListStemsOptions): Promise<StemPage>;
  /** Returns false when the stem does not exist. */
  deleteStem(id: string): Promise<boolean>;
  /** Chunks ordered by index; throws `NOT_FOUND` for an unknown stem. */
  getChunks(stemId: string): Promise<ChunkRecord[]>;
  search(vector: Float32Array, options: SearchOptions): Promise<SearchHit[]>;
  stats(): Promise<CatalogStats>;
  /** Persists the ANN cache so the next open skips the rebuild; a no-op when nothing changed. */
  snapshot(): Promise<void>;
  /** Rebuilds ANN indexes without their deleted entries, reclaims store space, then snapshots. */
  compact(): Promise<void>;
  /** Writes a final snapshot and releases files. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Batch ingestion jobs

/** Where an item's audio comes from: a file staged from an upload, or a path under the ingest root. */
export interface JobItemSource {
  type: 'staged' | 'server';
  path: string;
  /** Original file name as the client sent it, for error reports. */
  filename?: string;
}

export interface JobItemInput {
  source: JobItemSource;
  instrument: Instrument;
  catalog: string;
  externalId: string | null;
  metadata: StemMetadata;
}

export type JobItemState = 'pending' | 'running' | 'done' | 'failed';
export type JobState = 'pending' | 'running' | 'completed';

export interface JobItem extends JobItemInput {
  id: number;
  jobId: string;
  /** Position in the job as submitted, 0-based. */
  position: number;
  state: JobItemState;
  attempts: number;
  stemId: string | null;
  error: { code: string; message: string } | null;
}

export interface JobTotals {
  total: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
}

export interface JobRecord {
  id: string;
  state: JobState;
  totals: JobTotals;
  /** Per-file failures in submission order. */
  errors: Array<{ position: number; source: JobItemSource; code: string; message: string }>;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface JobStore {
  /** Durable once resolved: the caller may acknowledge the job id to its client. */
  createJob(items: JobItemInput[]): Promise<JobRecord>;
  getJob(id: string): Promise<JobRecord | null>;
  listItems(jobId: string, options?: { state?: JobItemState }): Promise<JobItem[]>;
  /** Atomically moves the oldest pending item (of `jobId`, or of any job) to `running`. */
  claimNextItem(jobId?: string): Promise<JobItem | null>;
  completeItem(itemId: number, stemId: string): Promise<void>;
  failItem(itemId: number, error: { code: string; message: string }): Promise<void>;
  /** Items left `running` by a crashed process go back to `pending`; returns how many. */
  requeueInterrupted(): Promise<number>;
  listUnfinishedJobs(): Promise<JobRecord[]>;
}
