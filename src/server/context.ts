import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { CatalogStore } from '../index/types.js';
import type { IngestRunner } from '../ingest/runner.js';
import type { EmbeddingModel } from './ports.js';

/** What route handlers share: built once in `buildApp`, passed explicitly to each route module. */
export interface AppContext {
  config: Config;
  catalog: CatalogStore;
  model: EmbeddingModel;
  registry: Registry;
  ingest: IngestRunner;
  /** Set when shutdown begins so `/readyz` turns load balancers away first. */
  readonly state: { closing: boolean };
}

export function uploadLimits(config: Config, maxFiles = 1) {
  return { maxFileBytes: config.maxUploadBytes, maxFiles };
}
