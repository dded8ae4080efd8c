import { poolPatches } from '../../src/inference/pooling.js';
import type { ChunkEmbedder } from './embed.js';
import { mixOf } from './evaluate.js';
import type { ChunkFeaturizer, MixEmbedding, SongSource } from './types.js';

/**
 * Full-mix chunk embeddings (and baseline features) with their song labels, for training the
 * linear probes on a split that is not being evaluated.
 */
export async function collectMixEmbeddings(
  source: SongSource,
  embedder: ChunkEmbedder,
  featurizer: ChunkFeaturizer,
  onProgress: (message: string) => void = () => {},
): Promise<MixEmbedding[]> {
  const mixes: MixEmbedding[] = [];
  let songs = 0;
  for (const id of source.ids) {
    const song = await source.load(id);
    const chunkCount = Math.floor(
      Math.min(...song.stems.map((s) => s.signal.length)) / featurizer.chunkLength,
    );
    const chunks: Float32Array[] = [];
    for (let chunk = 0; chunk < chunkCount; chunk++) {
      const start = chunk * featurizer.chunkLength;
      const mix = mixOf(
        song.stems.map((stem) => stem.signal.subarray(start, start + featurizer.chunkLength)),
      );
      if (!featurizer.isSilent(mix)) chunks.push(mix);
    }
    const patches = await embedder.encode(chunks.map((mix) => featurizer.modelInput(mix)));
    chunks.forEach((mix, i) => {
      mixes.push({
        vector: poolPatches(patches[i], embedder.grid).vector,
        baseline: featurizer.baselineFeatures(mix),
        keyClass: song.keyClass,
        tempo: song.tempo,
      });
    });
    if (++songs % 25 === 0 || songs === source.ids.length) {
      onProgress(`[probe train] ${songs}/${source.ids.length} songs, ${mixes.length} chunks`);
    }
  }
  return mixes;
}
