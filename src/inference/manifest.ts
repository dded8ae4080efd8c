import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { chunkFeatureSize, FrontEndConfigSchema, featureBins } from '../audio/frontend-config.js';

/**
 * `models/manifest.json`: what a pair of exported graphs computes and how to feed them.
 * Written by `training/export`, validated once here when the service loads a model.
 *
 * Graph contract (ONNX, float32, dynamic batch axis B):
 *   encoder.onnx    input  `log_mel`              [B, 1, bins, chunkFrames]  (bins: nMels or nBins,
 *                                                 as frontEnd.kind says; the name is historical)
 *                   output `patch_embeddings`     [B, numPatches, embeddingDim]
 *   predictor.onnx  input  `context_embeddings`   [B, numPatches, embeddingDim]
 *                   input  `instrument_id`        [B] int64 (index into `instruments`)
 *                   output `predicted_embeddings` [B, numPatches, embeddingDim]
 */
export const GraphFileSchema = z.object({
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
});

export const ModelManifestSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  createdAt: z.string(),
  frontEnd: FrontEndConfigSchema,
  patch: z.object({
    /** Patch height (feature bins) and width (frames). */
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    /** Patch grid: rows along frequency, columns along time. */
    gridFreq: z.number().int().positive(),
    gridTime: z.number().int().positive(),
  }),
  embeddingDim: z.number().int().positive(),
  instruments: z.array(z.string().min(1)).min(1),
  opset: z.number().int().positive(),
  graphs: z.object({ encoder: GraphFileSchema, predictor: GraphFileSchema }),
  architecture: z.record(z.string(), z.unknown()),
  training: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()).default({}),
});

export type ModelManifest = z.infer<typeof ModelManifestSchema>;

export function numPatches(manifest: ModelManifest): number {
  return manifest.patch.gridFreq * manifest.patch.gridTime;
}

/**
 * Tensor sizes of one chunk, derived from the manifest: shared by everything that feeds or reads
 * the graphs, so every wrapper checks buffers against the same numbers.
 */
export abstract class ChunkGeometry {
  abstract readonly manifest: ModelManifest;

  get numPatches(): number {
    return numPatches(this.manifest);
  }

  get embeddingDim(): number {
    return this.manifest.embeddingDim;
  }

  /** Rows of one chunk's encoder input: mel bands or CQT bins, as the front end's kind says. */
  get featureBins(): number {
    return featureBins(this.manifest.frontEnd);
  }

  /** Values in one chunk's encoder input: bins × chunkFrames. */
  get featureSize(): number {
    return chunkFeatureSize(this.manifest.frontEnd);
  }

  /** Values in one chunk's patch embeddings: numPatches × embeddingDim. */
  get patchEmbeddingSize(): number {
    return this.numPatches * this.embeddingDim;
  }
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Reads and validates a manifest, and checks each graph file against its recorded hash. */
export function loadManifest(modelDir: string): ModelManifest {
  const raw: unknown = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
  const manifest = ModelManifestSchema.parse(raw);
  for (const graph of [manifest.graphs.encoder, manifest.graphs.predictor]) {
    const actual = sha256File(join(modelDir, graph.file));
    if (actual !== graph.sha256) {
      throw new Error(`model file ${graph.file} has sha256 ${actual}, manifest says ${graph.sha256}`);
    }
  }
  return manifest;
}
