import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { AudioStore } from '../index/audio-store.js';
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
  /** The original audio of ingested stems, under `<dataDir>/audio`. */
  audio: AudioStore;
  /** Shutdown progress: `closing` turns `/readyz` (and new requests) away first. */
  readonly state: {
    closing: boolean;
    /** The batch-ingestion runner's stop, started when closing begins. */
    runnerStopped: Promise<void> | null;
  };
}

export function uploadLimits(config: Config, maxFiles = 1) {
  return { maxFileBytes: config.maxUploadBytes, maxFiles };
}
