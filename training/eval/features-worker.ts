/**
 * Piscina worker entry for `FrontEndFeaturizer`: computes chunk features off the main thread, so
 * the next song's spectrograms are ready while the main thread runs the model on this one.
 */
import { workerData } from 'piscina';
import { FrontEndConfigSchema } from '../../src/audio/frontend-config.js';
import { ChunkFeatureExtractor, type ChunkFeatures } from './chunk-features.js';

const extractor = new ChunkFeatureExtractor(
  FrontEndConfigSchema.parse((workerData as { frontEnd: unknown }).frontEnd),
);

export default function extractAll(chunks: Float32Array[]): ChunkFeatures[] {
  return chunks.map((samples) => extractor.extract(samples));
}
