/**
 * Inference throughput on this machine's CPU (or whatever provider loads first).
 *
 *   npm run bench:inference [-- --seconds 2 --model-dir models]
 *
 * Part 1, raw sessions on the calling thread: encoder and predictor at batch 1/8/32 with 1 and 2
 * intra-op threads.
 * Part 2, the micro-batcher: N concurrent single-chunk requests against the encoder batcher, with
 * the sessions in a worker thread (the service's default) and on the main thread, also reporting
 * how long the event loop stalled (what an HTTP request arriving meanwhile would wait),
 * showing how batches fill under load and what that does to throughput and latency. Batching
 * pays off where a bigger batch costs less per chunk (accelerators); on a CPU whose per-chunk cost
 * is flat in the batch size it mainly trades latency for fairness.
 *
 * "× real time" counts each chunk as 8 s of audio, i.e. non-overlapping chunks; with the
 * service's default 4 s hop every second of audio costs two chunks, so halve it.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { chunkSamples } from '../src/audio/frontend-config.js';
import { MicroBatcher } from '../src/inference/micro-batcher.js';
import { ModelSessions } from '../src/inference/sessions.js';
import { ensureDevModel } from '../training/export/dev-model.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    'model-dir': { type: 'string' },
  },
});
const secondsPerCase = Number(values.seconds);

async function modelDir(): Promise<string> {
  if (values['model-dir']) return values['model-dir'];
  return existsSync(join('models', 'manifest.json')) ? 'models' : ensureDevModel();
}

/** Runs `step` repeatedly for about `secondsPerCase` after one untimed call; returns calls per second. */
async function rate(step: () => Promise<unknown>): Promise<number> {
  await step();
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < secondsPerCase * 1000) {
    await step();
    calls++;
  }
  return calls / ((performance.now() - started) / 1000);
}

function seededValues(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296 - 0.5;
  });
}

const dir = await modelDir();
console.log(`model: ${dir}`);
console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'} × ${availableParallelism()}, node ${process.version}`);

const rows: string[][] = [];
for (const threads of [1, 2]) {
  const sessions = await ModelSessions.load({
    modelDir: dir,
    executionProviders: ['cuda', 'cpu'],
    intraOpThreads: threads,
    thread: 'main',
  });
  const frontEnd = sessions.manifest.frontEnd;
  const chunkSeconds = chunkSamples(frontEnd) / frontEnd.sampleRate;
  for (const batch of [1, 8, 32]) {
    const logMels = seededValues(batch * sessions.featureSize, batch);
    const context = await sessions.encode(logMels, batch);
    const ids = Array.from({ length: batch }, (_, i) => i % sessions.manifest.instruments.length);
    const encodeRate = (await rate(() => sessions.encode(logMels, batch))) * batch;
    const predictRate = (await rate(() => sessions.predict(context, ids, batch))) * batch;
    const bothRate = 1 / (1 / encodeRate + 1 / predictRate);
    rows.push([
      sessions.activeProvider,
      String(threads),
      String(batch),
      encodeRate.toFixed(1),
      predictRate.toFixed(1),
      bothRate.toFixed(1),
      `${(encodeRate * chunkSeconds).toFixed(0)}×`,
      `${(bothRate * chunkSeconds).toFixed(0)}×`,
    ]);
  }
  await sessions.close();
}

printTable(
  [
    'provider',
    'threads',
    'batch',
    'encoder chunks/s',
    'predictor chunks/s',
    'enc+pred chunks/s',
    'stem × real time',
    'query × real time',
  ],
  rows,
);

// Part 2: concurrency through the micro-batcher (encoder only, 1 intra-op thread, batch ≤ 16, wait 5 ms).
const batchRows: string[][] = [];
for (const thread of ['worker', 'main'] as const) {
  const sessions = await ModelSessions.load({
    modelDir: dir,
    executionProviders: ['cuda', 'cpu'],
    intraOpThreads: 1,
    thread,
  });
  for (const clients of [1, 4, 16, 32])
    batchRows.push([thread, ...(await concurrentLoad(sessions, clients))]);
  await sessions.close();
}
console.log();
printTable(
  ['sessions on', 'concurrent clients', 'chunks/s', 'mean batch', 'p50 ms', 'p95 ms', 'max loop stall ms'],
  batchRows,
);

async function concurrentLoad(sessions: ModelSessions, clients: number): Promise<string[]> {
  const sizes: number[] = [];
  const batcher = new MicroBatcher<Float32Array, Float32Array>({
    name: 'encoder',
    maxBatchSize: 16,
    maxQueue: 256,
    run: async (inputs) => {
      const joined = new Float32Array(inputs.length * sessions.featureSize);
      inputs.forEach((input, i) => {
        joined.set(input, i * sessions.featureSize);
      });
      const out = await sessions.encode(joined, inputs.length);
      return inputs.map((_, i) =>
        out.subarray(i * sessions.patchEmbeddingSize, (i + 1) * sessions.patchEmbeddingSize),
      );
    },
    hooks: { onBatch: ({ size }) => sizes.push(size) },
  });
  const chunk = seededValues(sessions.featureSize, 7);
  await batcher.submit(chunk);
  sizes.length = 0;
  let done = 0;
  const latencies: number[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const deadline = performance.now() + secondsPerCase * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        await batcher.submit(chunk);
        latencies.push(performance.now() - sent);
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  loopDelay.disable();
  await batcher.close();
  latencies.sort((a, b) => a - b);
  const meanBatch = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  return [
    String(clients),
    (done / elapsed).toFixed(1),
    meanBatch.toFixed(1),
    latencies[Math.floor(latencies.length * 0.5)]!.toFixed(0),
    latencies[Math.floor(latencies.length * 0.95)]!.toFixed(0),
    (loopDelay.max / 1e6).toFixed(0),
  ];
}

function printTable(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
}
