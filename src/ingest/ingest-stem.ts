import type { CatalogStore, StemMetadata, StemRecord } from '../index/types.js';
import type { Instrument } from '../instruments.js';
import type { EmbeddingModel } from '../server/ports.js';

export interface StemToIngest {
  catalog: string;
  externalId: string | null;
  instrument: Instrument;
  metadata: StemMetadata;
}

/**
 * Embeds one stem's audio and upserts it: the single path every ingestion (HTTP upload, batch job,
 * in-process CLI) takes, so all of them store the same thing.
 */
export async function ingestStem(
  deps: { model: Pick<EmbeddingModel, 'embedStem'>; catalog: CatalogStore; maxAudioSeconds: number },
  bytes: Uint8Array,
  stem: StemToIngest,
): Promise<StemRecord> {
  const embedding = await deps.model.embedStem(bytes, { maxDurationSeconds: deps.maxAudioSeconds });
  return deps.catalog.upsertStem({
    catalog: stem.catalog,
    externalId: stem.externalId,
    instrument: stem.instrument,
    metadata: stem.metadata,
    durationSeconds: embedding.durationSeconds,
    chunks: embedding.chunks.map((chunk) => ({
      index: chunk.index,
      offsetSeconds: chunk.offsetSeconds,
      silent: chunk.silent,
      vector: chunk.vector,
      timeline: chunk.timeline,
      patches: chunk.patches,
    })),
  });
}
