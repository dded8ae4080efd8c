import type { UpsertStemInput } from '../../src/index/index.js';
import { DIM, randomChunks, seededRandom } from './fixtures.js';

/** Shared by the crash writer and the test: a stem is a pure function of its version number. */
export const CRASH_MODEL = { dim: DIM, modelId: 'crash-model@1' };
const EXTERNAL_IDS = 6;

export function crashStem(version: number): UpsertStemInput {
  const random = seededRandom(version + 1);
  const chunkCount = 1 + (version % 5);
  // Two in three writes reuse a small pool of external ids, so replacements get interrupted too.
  const externalId = version % 3 === 2 ? null : `ext-${version % EXTERNAL_IDS}`;
  return {
    catalog: 'crash',
    externalId,
    instrument: version % 2 === 0 ? 'bass' : 'piano',
    metadata: { version, chunks: chunkCount },
    durationSeconds: chunkCount * 4,
    chunks: randomChunks(random, chunkCount),
  };
}
