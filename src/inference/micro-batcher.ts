import { BatcherClosedError, InferenceError, QueueFullError } from './errors.js';

/**
 * Dynamic micro-batching: callers submit single items, the model sees batches.
 *
 * A batch never waits for company: whenever the model is free, everything already waiting (up to
 * `maxBatchSize`) runs at once. Items that arrive while a batch runs wait for it and then go
 * together in the next one, so batches fill up exactly when there is load, throughput grows with
 * concurrency, and a lone request pays no batching delay at all. (A timed wait would hold the
 * model idle, delaying every lone request for company that rarely comes at low load; at high load
 * the queue forms by itself while the model works.) The queue is
 * bounded: past `maxQueue` waiting items, submissions fail fast with `QueueFullError` (HTTP 503 +
 * Retry-After) instead of growing latency without limit.
 */

export interface BatchEvent {
  size: number;
  durationMs: number;
  failed: boolean;
}

export interface MicroBatcherHooks {
  /** After each batch, successful or not. */
  onBatch?: (event: BatchEvent) => void;
  /** Whenever the number of waiting (not yet running) items changes. */
  onQueueDepth?: (depth: number) => void;
}

export interface MicroBatcherOptions<I, O> {
  /** Used in error messages and logs. */
  name: string;
  maxBatchSize: number;
  /** Most items that may wait; a submission that would exceed it is refused. */
  maxQueue: number;
  /** Batches that may run at once; 1 suits one model session, whose runs serialise anyway. */
  maxConcurrentBatches?: number;
  /** Runs one batch and returns exactly one output per input, in order. */
  run: (inputs: I[]) => Promise<O[]>;
  hooks?: MicroBatcherHooks;
}

interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/** Smoothing of the batch-duration estimate behind Retry-After. */
const DURATION_SMOOTHING = 0.2;

/** Batch duration assumed for Retry-After before the first batch has been timed. */
const INITIAL_BATCH_MS = 100;

export class MicroBatcher<I, O> {
  readonly name: string;
  private readonly maxBatchSize: number;
  private readonly maxQueue: number;
  private readonly maxConcurrentBatches: number;
  private readonly runBatch: (inputs: I[]) => Promise<O[]>;
  private readonly hooks: MicroBatcherHooks;

  private waiting: Waiting<I, O>[] = [];
  private running = 0;
  private closing = false;
  private drained: (() => void) | null = null;
  private meanBatchMs: number | null = null;

  constructor(options: MicroBatcherOptions<I, O>) {
    for (const key of ['maxBatchSize', 'maxQueue'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) {
        throw new RangeError(`${key} must be a positive integer, got ${options[key]}`);
      }
    }
    this.name = options.name;
    this.maxBatchSize = options.maxBatchSize;
    this.maxQueue = options.maxQueue;
    this.maxConcurrentBatches = options.maxConcurrentBatches ?? 1;
    this.runBatch = options.run;
    this.hooks = options.hooks ?? {};
  }

  /** Items waiting for a batch (not counting those already running). */
  get queueDepth(): number {
    return this.waiting.length;
  }

  submit(input: I): Promise<O> {
    return this.submitMany([input]).then((outputs) => outputs[0]!);
  }

  /**
   * Queues several items atomically: all are admitted or none is. An empty queue admits any
   * number, so a request larger than `maxQueue` is slow rather than impossible.
   */
  submitMany(inputs: readonly I[]): Promise<O[]> {
    if (this.closing) return Promise.reject(new BatcherClosedError(this.name));
    if (inputs.length === 0) return Promise.resolve([]);
    const depth = this.waiting.length;
    if (depth > 0 && depth + inputs.length > this.maxQueue) {
      return Promise.reject(new QueueFullError(this.retryAfterSeconds(), depth));
    }
    const outputs = inputs.map(
      (input) =>
        new Promise<O>((resolve, reject) => {
          this.waiting.push({ input, resolve, reject });
        }),
    );
    this.hooks.onQueueDepth?.(this.waiting.length);
    this.schedule();
    return Promise.all(outputs);
  }

  /** Refuses new work, runs everything already queued, and resolves once nothing is running. */
  close(): Promise<void> {
    this.closing = true;
    if (this.waiting.length === 0 && this.running === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const previous = this.drained;
      this.drained = () => {
        previous?.();
        resolve();
      };
    });
    this.schedule();
    return done;
  }

  /** Seconds until the current backlog has likely been worked off; at least 1. */
  private retryAfterSeconds(): number {
    const batchMs = this.meanBatchMs ?? INITIAL_BATCH_MS;
    const batchesAhead = Math.ceil(this.waiting.length / this.maxBatchSize) + this.running;
    return Math.max(1, Math.ceil((batchesAhead * batchMs) / 1000));
  }

  /** Starts a batch of whatever is waiting for each free model slot; never waits for more. */
  private schedule(): void {
    while (this.waiting.length > 0 && this.running < this.maxConcurrentBatches) {
      this.dispatch(this.waiting.splice(0, this.maxBatchSize));
    }
  }

  private dispatch(batch: Waiting<I, O>[]): void {
    this.running++;
    this.hooks.onQueueDepth?.(this.waiting.length);
    const started = performance.now();
    this.execute(batch)
      .then((failed) => this.finish(batch.length, performance.now() - started, failed))
      .catch(() => undefined);
  }

  /** Settles every item of the batch; resolves to whether the batch failed. Never rejects. */
  private async execute(batch: Waiting<I, O>[]): Promise<boolean> {
    let outputs: O[];
    try {
      outputs = await this.runBatch(batch.map((entry) => entry.input));
      if (!Array.isArray(outputs) || outputs.length !== batch.length) {
        throw new InferenceError(
          `${this.name}: batch of ${batch.length} returned ${Array.isArray(outputs) ? outputs.length : 'no'} outputs`,
        );
      }
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return true;
    }
    batch.forEach((entry, i) => {
      entry.resolve(outputs[i]!);
    });
    return false;
  }

  private finish(size: number, durationMs: number, failed: boolean): void {
    this.running--;
    this.meanBatchMs =
      this.meanBatchMs === null
        ? durationMs
        : this.meanBatchMs + DURATION_SMOOTHING * (durationMs - this.meanBatchMs);
    try {
      this.hooks.onBatch?.({ size, durationMs, failed });
    } finally {
      this.schedule();
      if (this.closing && this.waiting.length === 0 && this.running === 0) {
        const drained = this.drained;
        this.drained = null;
        drained?.();
      }
    }
  }
}
