import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioDecodeError } from '../../src/audio/errors.js';
import { AudioProcessor } from '../../src/audio/processor.js';
import { FrontEndPool } from '../../src/audio/worker-pool.js';
import { Embedder, type EmbedderOptions } from '../../src/inference/embedder.js';
import { BatcherClosedError, InferenceError, QueueFullError } from '../../src/inference/errors.js';
import { ModelSessions } from '../../src/inference/sessions.js';
import { testModelDir } from '../helpers/model.js';
import { makeSong, mixOf, wavBytes } from '../helpers/songs.js';

let sessions: ModelSessions;
let processor: AudioProcessor;
const embedders: Embedder[] = [];

function embedder(overrides: Partial<EmbedderOptions> = {}): Embedder {
  const created = new Embedder({
    sessions,
    frontEnd: processor,
    batching: { maxBatchSize: 8, maxQueue: 64 },
    hopSeconds: 4,
    ...overrides,
  });
  embedders.push(created);
  return created;
}

function norm(values: Float32Array, offset = 0, dim = values.length): number {
  let sum = 0;
  for (let i = offset; i < offset + dim; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum);
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const song = makeSong(1, 18.5, 42);
const mixWav = wavBytes(mixOf(song));
const bassWav = wavBytes(song.stems.bass!);

beforeAll(async () => {
  sessions = await ModelSessions.load({
    modelDir: await testModelDir(),
    executionProviders: ['cpu'],
    intraOpThreads: 1,
  });
  processor = new AudioProcessor(sessions.manifest.frontEnd);
}, 60_000);

afterAll(async () => {
  await Promise.all(embedders.map((e) => e.close()));
  await sessions?.close();
});

describe('Embedder', () => {
  it('embeds a stem chunk by chunk with unit vectors and timelines', async () => {
    const e = embedder();
    const { grid } = e;
    const result = await e.embedStem(bassWav);
    // 18.5 s with 8 s chunks every 4 s: chunks at 0, 4, 8 and 12 s; the last is padded.
    expect(result.chunks.map((c) => c.offsetSeconds)).toEqual([0, 4, 8, 12]);
    expect(result.chunks.map((c) => c.padded)).toEqual([false, false, false, true]);
    expect(result.durationSeconds).toBeGreaterThanOrEqual(18.5);
    expect(result.durationSeconds).toBeLessThanOrEqual(18.52);
    for (const chunk of result.chunks) {
      expect(chunk.vector).toHaveLength(grid.dim);
      expect(norm(chunk.vector)).toBeCloseTo(1, 4);
      expect(chunk.timeline).toHaveLength(grid.gridTime * grid.dim);
      expect(norm(chunk.timeline, 7 * grid.dim, grid.dim)).toBeCloseTo(1, 4);
      expect(chunk.patches).toHaveLength(sessions.patchEmbeddingSize);
    }
  });

  it('gives the same embeddings whether chunks share a batch with other requests or not', async () => {
    const alone = embedder({ batching: { maxBatchSize: 1, maxQueue: 64 } });
    const shared = embedder({ batching: { maxBatchSize: 32, maxQueue: 64 } });
    const reference = await alone.embedStem(bassWav);
    const [together] = await Promise.all([shared.embedStem(bassWav), shared.embedStem(mixWav)]);
    reference.chunks.forEach((chunk, i) => {
      expect(maxAbsDifference(chunk.vector, together!.chunks[i]!.vector)).toBeLessThan(1e-4);
    });
  });

  it('predicts a query from stored patches exactly as from the audio', async () => {
    const e = embedder();
    const fromAudio = await e.embedQuery(mixWav, 'bass');
    const context = await e.embedStem(mixWav);
    const fromPatches = await e.predictFromPatchEmbeddings(
      context.chunks.map((chunk) => chunk.patches),
      'bass',
    );
    expect(fromPatches).toHaveLength(fromAudio.chunks.length);
    fromPatches.forEach((pooled, i) => {
      expect(maxAbsDifference(pooled.vector, fromAudio.chunks[i]!.vector)).toBeLessThan(1e-4);
      expect(maxAbsDifference(pooled.timeline, fromAudio.chunks[i]!.timeline)).toBeLessThan(1e-4);
    });
  });

  it('conditions the query on the instrument wanted', async () => {
    const e = embedder();
    const [bass, drums] = await Promise.all([e.embedQuery(mixWav, 'bass'), e.embedQuery(mixWav, 'drums')]);
    expect(maxAbsDifference(bass.chunks[0]!.vector, drums.chunks[0]!.vector)).toBeGreaterThan(1e-3);
  });

  it('reports batch sizes and queue depth to Prometheus', async () => {
    const registry = new Registry();
    const e = embedder({ registry, batching: { maxBatchSize: 16, maxQueue: 64 } });
    await e.embedStem(bassWav);
    const text = await registry.metrics();
    // All four chunks of one stem are submitted together, so they share one encoder call.
    expect(text).toContain('stemdex_inference_batch_size_sum{graph="encoder"} 4');
    expect(text).toContain('stemdex_inference_batch_size_count{graph="encoder"} 1');
    expect(text).toContain('stemdex_inference_queue_depth{graph="encoder"} 0');
    expect(text).toContain(`stemdex_inference_provider_info{provider="${sessions.activeProvider}"} 1`);
  });

  it('refuses work with QUEUE_FULL while the queue is full', async () => {
    const e = embedder({ batching: { maxBatchSize: 1, maxQueue: 2 } });
    // 60 s at a 4 s hop is 14 chunks run one at a time; a 2 s clip needs one chunk and far less
    // front-end time, so it arrives while most of the long file still waits.
    const long = wavBytes(mixOf(makeSong(2, 60, 42)));
    const short = wavBytes(mixOf(makeSong(3, 2, 42)));
    const busy = e.embedStem(long);
    while (e.queueDepth.encoder === 0) await new Promise((resolve) => setImmediate(resolve));
    const refused = await e.embedStem(short).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await busy).chunks).toHaveLength(14);
    expect((await e.embedStem(short)).chunks).toHaveLength(1);
  });

  it('passes audio errors through with their code', async () => {
    const error = await embedder()
      .embedStem(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudioDecodeError);
    const tooLong = await embedder()
      .embedStem(bassWav, { maxDurationSeconds: 5 })
      .catch((e: unknown) => e);
    expect((tooLong as AudioDecodeError).code).toBe('TOO_LONG');
  });

  it('refuses patch embeddings of the wrong size', async () => {
    await expect(embedder().predictFromPatchEmbeddings([new Float32Array(3)], 'bass')).rejects.toBeInstanceOf(
      InferenceError,
    );
  });

  it('refuses new work once closed', async () => {
    const e = embedder();
    await e.close();
    await expect(e.embedStem(bassWav)).rejects.toBeInstanceOf(BatcherClosedError);
  });

  it('works with the worker-thread front end the service uses', async () => {
    const pool = new FrontEndPool({ config: sessions.manifest.frontEnd, threads: 1 });
    try {
      const viaPool = await embedder({ frontEnd: pool }).embedStem(bassWav);
      const inThread = await embedder().embedStem(bassWav);
      expect(viaPool.durationSeconds).toBe(inThread.durationSeconds);
      expect(maxAbsDifference(viaPool.chunks[1]!.vector, inThread.chunks[1]!.vector)).toBeLessThan(1e-5);
    } finally {
      await pool.destroy();
    }
  }, 30_000);
});
