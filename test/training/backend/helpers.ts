import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { nativeAddonAvailable, registerNativeKernels } from '../../../training/backend/index.js';

export const NATIVE_AVAILABLE = nativeAddonAvailable();
export const SKIP_REASON = 'native addon not built: run `npm run build:native` to enable these tests';

if (!NATIVE_AVAILABLE) console.warn(`test/training/backend: ${SKIP_REASON}`);
else registerNativeKernels();

/** Deterministic uniform values in [low, high). */
export function seededValues(count: number, seed: number, low = -1, high = 1): Float32Array {
  let state = seed >>> 0;
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    values[i] = low + (high - low) * unit;
  }
  return values;
}

export interface Computed {
  shape: number[];
  dtype: string;
  values: Float32Array | Int32Array | Uint8Array;
}

/** Runs `build` on `backend` and copies its outputs out (so nothing aliases backend storage). */
export async function runOn(backend: string, build: () => tf.Tensor | tf.Tensor[]): Promise<Computed[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(build);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const computed = list.map((t) => ({
    shape: [...t.shape],
    dtype: t.dtype,
    values: (t.dataSync() as Float32Array | Int32Array | Uint8Array).slice(),
  }));
  tf.dispose(list);
  return computed;
}

/** Max |a - e| / (atol + rtol |e|) must be <= 1; NaN must match NaN and infinities must match exactly. */
export function expectClose(actual: Computed, expected: Computed, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toEqual(expected.dtype);
  expect(actual.values.length).toBe(expected.values.length);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.values[i];
    const e = expected.values[i];
    if (Number.isNaN(e) || Number.isNaN(a) || !Number.isFinite(e) || !Number.isFinite(a)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        throw new Error(`index ${i}: got ${a}, expected ${e}`);
      }
      continue;
    }
    const error = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (error > worst) {
      worst = error;
      worstIndex = i;
    }
  }
  if (worst > 1) {
    throw new Error(
      `index ${worstIndex}: got ${actual.values[worstIndex]}, expected ${expected.values[worstIndex]} (rtol ${rtol}, atol ${atol})`,
    );
  }
}

/** Builds the same computation on the stock CPU backend and on the native one, and compares. */
export async function expectNativeMatchesStock(
  build: () => tf.Tensor | tf.Tensor[],
  rtol = 1e-5,
  atol = 1e-6,
): Promise<void> {
  const stock = await runOn('cpu', build);
  const native = await runOn('native', build);
  expect(native.length).toBe(stock.length);
  native.forEach((output, i) => {
    expectClose(output, stock[i], rtol, atol);
  });
}
