/** The catalog: durable stem store (SQLite) with an HNSW cache for chunk-vector search. */

export * from './errors.js';
export { type CatalogLogger, type LocalCatalogOptions, openLocalCatalog } from './local-catalog.js';
export type * from './types.js';
