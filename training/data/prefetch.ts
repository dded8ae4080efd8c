import { Worker } from 'node:worker_threads';
import type { ExampleSamplerOptions, TrainingBatch } from './sampler.js';

/**
 * ExampleSampler on a worker thread that keeps `depth` batches ready, so computing features
 * overlaps the training step instead of stalling it. It yields exactly the batches an
 * ExampleSampler with the same options would (same seed, same order).
 */

export interface PrefetchWorkerData extends ExampleSamplerOptions {
  batchSize: number;
  /** Draw examples from the corpus's feature cache (CachedExampleSampler) instead of its audio. */
  featureCache?: boolean;
}

export interface PrefetchingSamplerOptions extends PrefetchWorkerData {
  /** Batches computed ahead of the consumer. */
  depth?: number;
}

interface Waiter {
  resolve: (batch: TrainingBatch) => void;
  reject: (error: Error) => void;
}

/**
 * The worker module is TypeScript and loader hooks are per thread, so the worker starts from a
 * tiny script that registers tsx's loader first and then imports the real worker.
 */
function bootstrapScript(): string {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./sampler-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`;
}

export class PrefetchingSampler {
  private readonly worker: Worker;
  private readonly ready: TrainingBatch[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: Error | undefined;

  constructor(options: PrefetchingSamplerOptions) {
    const { depth = 2, ...workerData } = options;
    this.worker = new Worker(bootstrapScript(), { eval: true, workerData });
    this.worker.on('message', (batch: TrainingBatch) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(batch);
      else this.ready.push(batch);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`sampler worker exited with code ${code}`));
    });
    for (let i = 0; i < Math.max(1, depth); i++) this.worker.postMessage('next');
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** The next batch; asks the worker for one more so `depth` stay in flight. */
  nextBatch(): Promise<TrainingBatch> {
    if (this.failure) return Promise.reject(this.failure);
    this.worker.postMessage('next');
    const batch = this.ready.shift();
    if (batch) return Promise.resolve(batch);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
