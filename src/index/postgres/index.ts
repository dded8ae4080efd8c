/**
 * The PostgreSQL + pgvector catalog backend, for several stemdex replicas sharing one catalog.
 *
 * Selected by `STEMDEX_STORE=postgres://user:pass@host/db[?schema=name][&pool_size=n]`.
 *
 * Layout (schema `stemdex` unless `?schema=` names another):
 *   meta             model binding (model_id, dim) and schema_version
 *   stems            one row per stem; filterable metadata facts in their own columns
 *   chunks           vector (float32 bytes), embedding vector(dim), timeline float32 and patches
 *                    float16 bytes; one partial HNSW index (cosine) per instrument
 *   jobs, job_items  the shared ingestion queue (claims with FOR UPDATE SKIP LOCKED)
 *   replicas         heartbeats, to requeue the running items of a crashed replica
 *
 * Requires PostgreSQL ≥ 15 with pgvector ≥ 0.8 (iterative index scans). The first open creates
 * the extension and tables (the role then needs CREATE on the database, or an administrator
 * runs `CREATE EXTENSION vector` beforehand).
 */
export { openPostgresCatalog, type PostgresCatalogOptions } from './postgres-catalog.js';
export { isPostgresUrl, parsePostgresStore } from './store-url.js';
