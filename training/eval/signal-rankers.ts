import { normaliseInPlace } from '../../src/inference/pooling.js';
import type { Instrument } from '../../src/instruments.js';
import type { ChunkEmbedder } from './embed.js';
import type { EmbeddingRanker } from './protocol-scores.js';
import type { ChunkFeaturizer } from './types.js';

/**
 * Whole signals (a stem, a "mix minus stem", a 5 s excerpt) to one comparable vector each, as the
 * paper's evaluation does (`evar/musdb_eval.py`): the signal is cut into consecutive model chunks
 * from its start, the last one zero-padded; the token grid is averaged over time across the whole
 * signal (only the time columns that hold audio), the frequency rows kept and concatenated, then
 * layer-normalised; we also L2-normalise, so cosine ranks as the paper's Euclidean distance does.
 */
export interface SignalRanker {
  readonly name: EmbeddingRanker;
  /**
   * Catalog side: the stems as they are (the model's target encoder). Signals come cut by
   * `wholeSignalChunks`, once for all rankers, so chunk features computed for one are reused.
   */
  embedStems(signals: readonly SignalChunk[][]): Promise<Float32Array[]>;
  /** Query side: mixes, and the instrument whose stem is wanted. */
  embedQueries(
    contexts: readonly SignalChunk[][],
    instruments: readonly Instrument[],
  ): Promise<Float32Array[]>;
}

/** One chunk of a whole signal: the samples (padded) and how many of its time columns hold audio. */
export interface SignalChunk {
  samples: Float32Array;
  validFraction: number;
}

/** Consecutive chunks from the start; the last is zero-padded; a signal shorter than a chunk gives one. */
export function wholeSignalChunks(signal: Float32Array, chunkLength: number): SignalChunk[] {
  const chunks: SignalChunk[] = [];
  for (let start = 0; start === 0 || start < signal.length; start += chunkLength) {
    const valid = Math.min(chunkLength, signal.length - start);
    const samples =
      valid === chunkLength ? signal.subarray(start, start + chunkLength) : new Float32Array(chunkLength);
    if (valid < chunkLength) samples.set(signal.subarray(start, start + valid));
    chunks.push({ samples, validFraction: valid / chunkLength });
  }
  return chunks;
}

/** Layer normalisation without affine parameters (the paper's LayerNorm over the pooled vector), in place. */
export function layerNormInPlace(values: Float32Array, epsilon = 1e-5): Float32Array {
  let mean = 0;
  for (const value of values) mean += value;
  mean /= values.length;
  let variance = 0;
  for (const value of values) variance += (value - mean) ** 2;
  const scale = 1 / Math.sqrt(variance / values.length + epsilon);
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - mean) * scale;
  return values;
}

/** The exported model through onnxruntime: encoder for stems, encoder + predictor for queries. */
export class ModelSignalRanker implements SignalRanker {
  readonly name = 'model' as const;

  constructor(
    private readonly embedder: ChunkEmbedder,
    private readonly featurizer: ChunkFeaturizer,
  ) {}

  async embedStems(signals: readonly SignalChunk[][]): Promise<Float32Array[]> {
    return this.embed(signals, (patches) => this.embedder.encode(patches));
  }

  async embedQueries(
    contexts: readonly SignalChunk[][],
    instruments: readonly Instrument[],
  ): Promise<Float32Array[]> {
    return this.embed(contexts, async (inputs, owners) => {
      const encoded = await this.embedder.encode(inputs);
      return this.embedder.predict(
        encoded,
        owners.map((owner) => instruments[owner]),
      );
    });
  }

  private async embed(
    chunks: readonly SignalChunk[][],
    run: (inputs: Float32Array[], owners: number[]) => Promise<Float32Array[]>,
  ): Promise<Float32Array[]> {
    const flat = chunks.flat();
    const owners = chunks.flatMap((own, signal) => own.map(() => signal));
    await this.featurizer.prepare?.(flat.map((chunk) => chunk.samples));
    const patches = await run(
      flat.map((chunk) => this.featurizer.modelInput(chunk.samples)),
      owners,
    );
    const { gridFreq, gridTime, dim } = this.embedder.grid;
    const sums = chunks.map(() => new Float32Array(gridFreq * dim));
    const counts = new Array<number>(chunks.length).fill(0);
    flat.forEach((chunk, i) => {
      const columns = Math.max(1, Math.ceil(chunk.validFraction * gridTime));
      const sum = sums[owners[i]];
      counts[owners[i]] += columns;
      // Patches are frequency-row-major: patch (f, t) at row f * gridTime + t.
      for (let f = 0; f < gridFreq; f++)
        for (let t = 0; t < columns; t++) {
          const row = (f * gridTime + t) * dim;
          for (let d = 0; d < dim; d++) sum[f * dim + d] += patches[i][row + d];
        }
    });
    return sums.map((sum, signal) => {
      for (let i = 0; i < sum.length; i++) sum[i] /= counts[signal];
      layerNormInPlace(sum);
      normaliseInPlace(sum);
      return sum;
    });
  }
}

/** The chroma + onset features of each chunk, averaged over the signal weighted by audio length. */
export class ChromaSignalRanker implements SignalRanker {
  readonly name = 'chroma_onset' as const;

  constructor(private readonly featurizer: ChunkFeaturizer) {}

  embedStems(signals: readonly SignalChunk[][]): Promise<Float32Array[]> {
    return this.embed(signals);
  }

  /** The baseline has no notion of the wanted instrument: the mix's own features are the query. */
  embedQueries(contexts: readonly SignalChunk[][]): Promise<Float32Array[]> {
    return this.embed(contexts);
  }

  private async embed(chunks: readonly SignalChunk[][]): Promise<Float32Array[]> {
    await this.featurizer.prepare?.(chunks.flat().map((chunk) => chunk.samples));
    return chunks.map((own) => {
      const sum = new Float32Array(this.featurizer.baselineDim);
      for (const chunk of own) {
        const features = this.featurizer.baselineFeatures(chunk.samples);
        for (let d = 0; d < sum.length; d++) sum[d] += features[d] * chunk.validFraction;
      }
      normaliseInPlace(sum);
      return sum;
    });
  }
}
