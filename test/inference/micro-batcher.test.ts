import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatcherClosedError, InferenceError, QueueFullError } from '../../src/inference/errors.js';
import { MicroBatcher } from '../../src/inference/micro-batcher.js';

/** A model stand-in whose batches finish only when the test says so. */
function gatedModel() {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  const run = (inputs: number[]) => {
    batches.push([...inputs]);
    return new Promise<number[]>((resolve) => {
      gates.push(() => resolve(inputs.map((x) => x * 10)));
    });
  };
  const releaseNext = async () => {
    gates.shift()?.();
    await flush();
  };
  return { batches, run, releaseNext, pending: () => gates.length };
}

/** Lets promise callbacks run so the batcher can react to a finished batch. */
async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MicroBatcher', () => {
  it('returns each caller its own output', async () => {
    const batcher = new MicroBatcher<number, number>({
      name: 'test',
      maxBatchSize: 4,
      maxQueue: 100,
      run: async (inputs) => inputs.map((x) => x * x),
    });
    const inputs = Array.from({ length: 11 }, (_, i) => i);
    const outputs = await Promise.all(inputs.map((x) => batcher.submit(x)));
    expect(outputs).toEqual(inputs.map((x) => x * x));
  });

  it('runs a lone request at once, without waiting for company', async () => {
    // Fake timers that are never advanced: a batcher that set a timer to wait would never run.
    vi.useFakeTimers();
    const model = gatedModel();
    const batcher = new MicroBatcher({ name: 'test', maxBatchSize: 16, maxQueue: 100, run: model.run });
    const lone = batcher.submit(1);
    expect(model.batches).toEqual([[1]]);
    expect(vi.getTimerCount()).toBe(0);
    await model.releaseNext();
    expect(await lone).toBe(10);
    // A request of several chunks runs as one batch, at once.
    const many = batcher.submitMany([2, 3, 4]);
    expect(model.batches).toEqual([[1], [2, 3, 4]]);
    await model.releaseNext();
    expect(await many).toEqual([20, 30, 40]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gathers only what waited while the model was busy, capped at maxBatchSize', async () => {
    const model = gatedModel();
    const sizes: number[] = [];
    const batcher = new MicroBatcher({
      name: 'test',
      maxBatchSize: 3,
      maxQueue: 100,
      run: model.run,
      hooks: { onBatch: ({ size }) => sizes.push(size) },
    });
    const first = batcher.submit(1);
    const waiting = [2, 3, 4, 5].map((x) => batcher.submit(x));
    expect(model.batches).toEqual([[1]]);
    expect(batcher.queueDepth).toBe(4);
    await model.releaseNext();
    expect(model.batches).toEqual([[1], [2, 3, 4]]);
    // Arrives while [2, 3, 4] runs: joins 5 in the next batch, not a batch of its own.
    const late = batcher.submit(6);
    await model.releaseNext();
    expect(model.batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    await model.releaseNext();
    expect(sizes).toEqual([1, 3, 2]);
    expect(await first).toBe(10);
    expect(await Promise.all(waiting)).toEqual([20, 30, 40, 50]);
    expect(await late).toBe(60);
    expect(batcher.queueDepth).toBe(0);
  });

  it('refuses work beyond maxQueue with a Retry-After hint, atomically', async () => {
    const model = gatedModel();
    const depths: number[] = [];
    const batcher = new MicroBatcher({
      name: 'test',
      maxBatchSize: 2,
      maxQueue: 3,
      run: model.run,
      hooks: { onQueueDepth: (depth) => depths.push(depth) },
    });
    const running = batcher.submit(1);
    await flush();
    const queued = batcher.submitMany([2, 3]);
    let refused: unknown;
    await batcher.submitMany([4, 5]).catch((error) => {
      refused = error;
    });
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).code).toBe('QUEUE_FULL');
    expect((refused as QueueFullError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(batcher.queueDepth).toBe(2);
    const fits = batcher.submit(6);
    expect(batcher.queueDepth).toBe(3);
    expect(Math.max(...depths)).toBe(3);
    while (model.pending() > 0) await model.releaseNext();
    expect(await running).toBe(10);
    expect(await queued).toEqual([20, 30]);
    expect(await fits).toBe(60);
    expect(batcher.queueDepth).toBe(0);
    expect(depths.at(-1)).toBe(0);
  });

  it('admits a request larger than maxQueue when nothing is waiting', async () => {
    const batcher = new MicroBatcher<number, number>({
      name: 'test',
      maxBatchSize: 2,
      maxQueue: 2,
      run: async (inputs) => inputs,
    });
    expect(await batcher.submitMany([1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails every item of a failing batch and keeps serving later ones', async () => {
    let calls = 0;
    const batcher = new MicroBatcher<number, number>({
      name: 'test',
      maxBatchSize: 2,
      maxQueue: 10,
      run: async (inputs) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return inputs;
      },
    });
    await expect(batcher.submitMany([1, 2])).rejects.toThrow('boom');
    expect(await batcher.submit(3)).toBe(3);
  });

  it('rejects a batch whose output count does not match its inputs', async () => {
    const batcher = new MicroBatcher<number, number>({
      name: 'test',
      maxBatchSize: 4,
      maxQueue: 10,
      run: async (inputs) => inputs.slice(1),
    });
    await expect(batcher.submitMany([1, 2])).rejects.toBeInstanceOf(InferenceError);
  });

  it('drains queued work on close and refuses new work', async () => {
    const model = gatedModel();
    const batcher = new MicroBatcher({
      name: 'test',
      maxBatchSize: 2,
      maxQueue: 10,
      run: model.run,
    });
    const queued = batcher.submitMany([1, 2, 3]);
    await flush();
    let closed = false;
    const closing = batcher.close().then(() => {
      closed = true;
    });
    await expect(batcher.submit(4)).rejects.toBeInstanceOf(BatcherClosedError);
    while (!closed) {
      await model.releaseNext();
      await flush();
    }
    await closing;
    expect(model.batches).toEqual([[1, 2], [3]]);
    expect(await queued).toEqual([10, 20, 30]);
  });

  it('validates its limits', () => {
    const run = async (inputs: number[]) => inputs;
    expect(() => new MicroBatcher({ name: 't', maxBatchSize: 0, maxQueue: 1, run })).toThrow(RangeError);
    expect(() => new MicroBatcher({ name: 't', maxBatchSize: 1, maxQueue: 0, run })).toThrow(RangeError);
    expect(() => new MicroBatcher({ name: 't', maxBatchSize: 1.5, maxQueue: 1, run })).toThrow(RangeError);
  });
});
