import { poolPatches } from '../../src/inference/pooling.js';
import type { ChunkEmbedder } from './embed.js';
import { mixOf } from './evaluate.js';
import type { ChunkFeaturizer, EvalSong, MixEmbedding, SongSource } from './types.js';

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
  // One song ahead, as in evaluateSplit: features of the next song are computed meanwhile.
  let next = source.ids.length > 0 ? audibleMixChunks(source, source.ids[0], featurizer) : null;
  for (let done = 0; next; done++) {
    const { song, chunks } = await next;
    next = done + 1 < source.ids.length ? audibleMixChunks(source, source.ids[done + 1], featurizer) : null;
    const patches = await embedder.encode(chunks.map((mix) => featurizer.modelInput(mix)));
    chunks.forEach((mix, i) => {
      mixes.push({
        vector: poolPatches(patches[i], embedder.grid).vector,
        baseline: featurizer.baselineFeatures(mix),
        keyClass: song.keyClass,
        tempo: song.tempo,
      });
    });
    if ((done + 1) % 25 === 0 || done + 1 === source.ids.length) {
      onProgress(`[probe train] ${done + 1}/${source.ids.length} songs, ${mixes.length} chunks`);
    }
  }
  return mixes;
}

async function audibleMixChunks(
  source: SongSource,
  id: string,
  featurizer: ChunkFeaturizer,
): Promise<{ song: EvalSong; chunks: Float32Array[] }> {
  const song = await source.load(id);
  const length = featurizer.chunkLength;
  const chunkCount = Math.floor(Math.min(...song.stems.map((stem) => stem.signal.length)) / length);
  const chunks: Float32Array[] = [];
  for (let chunk = 0; chunk < chunkCount; chunk++) {
    const mix = mixOf(song.stems.map((stem) => stem.signal.subarray(chunk * length, (chunk + 1) * length)));
    if (!featurizer.isSilent(mix)) chunks.push(mix);
  }
  await featurizer.prepare?.(chunks);
  return { song, chunks };
}
