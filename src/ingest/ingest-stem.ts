import type { AudioStore } from '../index/audio-store.js';
import type { CatalogStore, StemMetadata, StemRecord } from '../index/types.js';
import type { Instrument } from '../instruments.js';
import type { EmbeddingModel } from '../server/ports.js';

export interface StemToIngest {
  catalog: string;
  externalId: string | null;
  instrument: Instrument;
  metadata: StemMetadata;
}

export interface IngestDeps {
  /** Only `embedStem` is used (the evaluation's product protocol passes a ranker with that surface). */
  model: Pick<EmbeddingModel, 'embedStem'>;
  catalog: CatalogStore;
  maxAudioSeconds: number;
  /** Where the original audio is kept for playback; without one only embeddings are stored. */
  audio?: AudioStore;
}

/**
 * Embeds one stem's audio and upserts it: the single path every ingestion (HTTP upload, batch job,
 * in-process CLI) takes, so all of them store the same thing. The audio is written after the
 * catalog commit (the stem id is only known then); if that write fails the stem stays searchable
 * and its audio route answers AUDIO_NOT_AVAILABLE.
 */
export async function ingestStem(
  deps: IngestDeps,
  bytes: Uint8Array,
  stem: StemToIngest,
): Promise<StemRecord> {
  const embedding = await deps.model.embedStem(bytes, { maxDurationSeconds: deps.maxAudioSeconds });
  const record = await deps.catalog.upsertStem({
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
  await deps.audio?.put(record.id, bytes);
  return record;
}
