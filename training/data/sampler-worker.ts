import { parentPort, workerData } from 'node:worker_threads';
import { CachedExampleSampler } from './cached-sampler.js';
import type { PrefetchWorkerData } from './prefetch.js';
import { ExampleSampler } from './sampler.js';

/** Worker side of PrefetchingSampler: one sampler, one batch per request, in order. */
const { batchSize, featureCache, ...options } = workerData as PrefetchWorkerData;
const sampler = featureCache
  ? new CachedExampleSampler({ ...options, teacherColumns: 0 })
  : new ExampleSampler(options);
parentPort!.on('message', () => {
  const batch = sampler.nextBatch(batchSize);
  const buffers = [
    batch.context.buffer,
    batch.target.buffer,
    batch.instrumentIds.buffer,
    batch.startSamples.buffer,
    ...(batch.teacher ? [batch.teacher.buffer] : []),
    ...(batch.targetTeacher ? [batch.targetTeacher.buffer] : []),
  ] as ArrayBuffer[];
  parentPort!.postMessage(batch, buffers);
});
