/**
 * The catalog: which stems exist, their chunk embeddings, and nearest-neighbour search over them.
 *
 * Layout of `<dataDir>`:
 *   catalog.sqlite (+ -wal)   source of truth: stems, chunks (vector float32), chunk payloads
 *                             (timeline float32, patches float16), ingestion jobs
 *   index/CURRENT, index/snap-<seq>-<nonce>/   HNSW snapshots, one graph per instrument
 *   audio/<stem id>           each stem's original audio as uploaded (AudioStore, for playback)
 *
 * Guarantees:
 * - An upsert or delete is one SQLite transaction, fsynced (WAL, synchronous=FULL) before its
 *   promise resolves: acknowledged writes survive kill -9; interrupted ones leave no trace.
 * - The HNSW graphs are a cache. On open they are loaded from the last snapshot and caught up
 *   with the store (chunks added or removed since), or rebuilt when the snapshot is missing,
 *   damaged or for another model. Deletes mark graph entries; `compact()` rebuilds without them.
 * - One process per data directory (an exclusive SQLite lock; `DATA_DIR_LOCKED` otherwise).
 * - A data directory is bound to the model id and dimension it was created with (`MODEL_MISMATCH`).
 *
 * Storage cost per chunk is about dim × (4 + gridTime × 4 + numPatches × 2) bytes (vector, timeline,
 * float16 patches): for a 250-patch model measured 91 KB at dim 128 (82 MB per audio hour at the
 * 4 s chunk hop) and 182 KB at dim 256; for the shipped 50-patch model the formula gives 39 KB (not measured).
 * See `test/index/bench/catalog-bench.ts`.
 */

export * from './errors.js';
export { type CatalogLogger, type LocalCatalogOptions, openLocalCatalog } from './local-catalog.js';
export type * from './types.js';
