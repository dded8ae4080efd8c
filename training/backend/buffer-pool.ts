/**
 * Recycles the output arrays of the native kernels. A training step allocates gigabytes of
 * short-lived Float32Arrays; left to the garbage collector, the external-memory pressure forces a
 * full V8 mark-compact every ~64 MB of allocation (measured: about a second of GC per step of the
 * `small` model at batch 8) and every fresh array page-faults its memory in again.
 *
 * Safety: an array is recycled only when the backend drops the last reference to its tensor
 * (`disposeData` with the reference count at zero), it was allocated here, and it never escaped
 * to user code: `readSync`/`read` (what `dataSync()`/`data()` return) mark it as escaped for good.
 */
import type { DataId, KernelBackend } from '@tensorflow/tfjs';

interface CpuBackendInternals {
  data: {
    get(dataId: DataId): { values?: unknown; refCount: number } | undefined;
    has(dataId: DataId): boolean;
  };
  disposeData(dataId: DataId, force?: boolean): boolean;
  readSync(dataId: DataId): unknown;
  read(dataId: DataId): Promise<unknown>;
}

/** Arrays below this many elements are cheap to allocate and not worth tracking. */
const MIN_POOLED_LENGTH = 4096;

export class FloatBufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly recyclable = new WeakSet<Float32Array>();
  private pooledBytes = 0;

  constructor(private readonly maxPooledBytes: number) {}

  /** An array of `length` elements with arbitrary contents: callers must write all of it. */
  take(length: number): Float32Array {
    if (length < MIN_POOLED_LENGTH) return new Float32Array(length);
    const reused = this.free.get(length)?.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      this.recyclable.add(reused);
      return reused;
    }
    const bytes = Buffer.allocUnsafeSlow(length * Float32Array.BYTES_PER_ELEMENT);
    const array = new Float32Array(bytes.buffer, bytes.byteOffset, length);
    this.recyclable.add(array);
    return array;
  }

  get bytesPooled(): number {
    return this.pooledBytes;
  }

  /** Drops every pooled array (they are then reclaimed by the garbage collector). */
  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }

  /** Hooks a CPU-backend instance so that its disposed native outputs come back to the pool. */
  attach(backend: KernelBackend): void {
    const internals = backend as unknown as CpuBackendInternals;
    const disposeData = internals.disposeData.bind(internals);
    const readSync = internals.readSync.bind(internals);
    const read = internals.read.bind(internals);
    internals.disposeData = (dataId, force = false) => {
      const values = internals.data.get(dataId)?.values;
      const removed = disposeData(dataId, force);
      if (removed && values instanceof Float32Array && !internals.data.has(dataId)) this.give(values);
      return removed;
    };
    internals.readSync = (dataId) => {
      this.escape(internals.data.get(dataId)?.values);
      return readSync(dataId);
    };
    internals.read = (dataId) => {
      this.escape(internals.data.get(dataId)?.values);
      return read(dataId);
    };
  }

  private escape(values: unknown): void {
    if (values instanceof Float32Array) this.recyclable.delete(values);
  }

  private give(values: Float32Array): void {
    if (!this.recyclable.has(values)) return;
    this.recyclable.delete(values);
    if (this.pooledBytes + values.byteLength > this.maxPooledBytes) return;
    const list = this.free.get(values.length);
    if (list) list.push(values);
    else this.free.set(values.length, [values]);
    this.pooledBytes += values.byteLength;
  }
}
