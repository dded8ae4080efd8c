import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../../training/backend/addon.js';
import {
  initTrainingBackend,
  NativeAddonMissingError,
  symmetricEigenvalues,
} from '../../../training/backend/index.js';
import { expectClose, NATIVE_AVAILABLE, runOn, SKIP_REASON, seededValues } from './helpers.js';

describe('initTrainingBackend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('selects the stock CPU backend with no native kernels', async () => {
    expect(await initTrainingBackend({ backend: 'cpu' })).toEqual({ backend: 'cpu', nativeKernels: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('selects the WASM backend', async () => {
    expect(await initTrainingBackend({ backend: 'wasm' })).toEqual({ backend: 'wasm', nativeKernels: [] });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('lets the WASM backend differentiate through gather (UnsortedSegmentSum is missing upstream)', async () => {
    await initTrainingBackend({ backend: 'wasm' });
    const gradient = (backend: string) =>
      runOn(backend, () => {
        const table = tf.tensor(seededValues(8 * 5, 1), [8, 5]);
        const weights = tf.tensor(seededValues(4 * 5, 2), [4, 5]);
        const ids = tf.tensor([3, 0, 3, 7], [4], 'int32');
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), weights)))(table);
      });
    const [wasm] = await gradient('wasm');
    const [cpu] = await gradient('cpu');
    expect(wasm.shape).toEqual([8, 5]);
    expectClose(wasm, cpu, 1e-6, 1e-7);
  });

  it('rejects unknown backends and invalid thread counts', async () => {
    await expect(initTrainingBackend({ backend: 'gpu' as 'cpu' })).rejects.toThrow(
      /unknown training backend/,
    );
    if (NATIVE_AVAILABLE) {
      await expect(initTrainingBackend({ backend: 'native', threads: 0 })).rejects.toThrow(RangeError);
    }
  });

  it('explains how to build the addon when it is missing', () => {
    const error = new NativeAddonMissingError(['/nowhere/stemdex_native.node']);
    expect(error.code).toBe('NATIVE_ADDON_MISSING');
    expect(error.message).toContain('npm run build:native');
  });

  it.skipIf(!NATIVE_AVAILABLE)(
    `selects the native backend and lists its kernels${NATIVE_AVAILABLE ? '' : ` (${SKIP_REASON})`}`,
    async () => {
      const selected = await initTrainingBackend({ threads: 1 });
      expect(selected.backend).toBe('native');
      expect(tf.getBackend()).toBe('native');
      for (const kernel of [
        'BatchMatMul',
        '_FusedMatMul',
        'Softmax',
        'Transpose',
        'Add',
        'Multiply',
        'Sum',
        'SplitV',
      ]) {
        expect(selected.nativeKernels).toContain(kernel);
      }
      expect(loadNativeAddon().numThreads()).toBe(1);
    },
  );
});

describe.skipIf(!NATIVE_AVAILABLE)(
  `native backend safety${NATIVE_AVAILABLE ? '' : ` (${SKIP_REASON})`}`,
  () => {
    it('gives the same products on one and on two threads', async () => {
      const product = () =>
        tf.matMul(
          tf.tensor(seededValues(300 * 256, 1), [300, 256]),
          tf.tensor(seededValues(256 * 200, 2), [256, 200]),
        );
      await initTrainingBackend({ threads: 1 });
      const [single] = await runOn('native', product);
      await initTrainingBackend({ threads: 2 });
      const [double] = await runOn('native', product);
      let worst = 0;
      for (let i = 0; i < single.values.length; i++)
        worst = Math.max(worst, Math.abs(single.values[i] - double.values[i]));
      expect(worst).toBeLessThan(1e-4);
    });

    it('never recycles an output array that user code has read', async () => {
      await tf.setBackend('native');
      const a = tf.tensor(seededValues(10_000, 3), [100, 100]);
      const first = tf.exp(a);
      const read = first.dataSync();
      const snapshot = Float32Array.from(read);
      first.dispose();
      // Same-sized outputs would reuse the disposed array if it had gone back to the pool.
      const later = Array.from({ length: 4 }, () => tf.neg(a));
      expect(Float32Array.from(read)).toEqual(snapshot);
      tf.dispose([a, ...later]);
    });

    it('recycles disposed outputs without mixing up live tensors', async () => {
      await tf.setBackend('native');
      const a = tf.tensor(seededValues(10_000, 4), [100, 100]);
      for (let round = 0; round < 3; round++) {
        const kept = tf.tidy(() => tf.add(tf.mul(tf.exp(a), 2), tf.neg(a)));
        const expected = tf.tidy(() => tf.sub(tf.mul(tf.exp(a), 2), a));
        const difference = tf.max(tf.abs(tf.sub(kept, expected))).dataSync()[0];
        expect(difference).toBeLessThan(1e-5);
        tf.dispose([kept, expected]);
      }
      a.dispose();
    });

    it('rejects malformed calls into the addon instead of touching memory out of bounds', () => {
      const addon = loadNativeAddon();
      const a = new Float32Array(6);
      const b = new Float32Array(6);
      const index = new Int32Array(1);
      expect(() => addon.matmul(a, b, new Float32Array(3), 1, 2, 2, 3, false, false, index, index)).toThrow(
        TypeError,
      );
      expect(() => addon.matmul(a, b, new Float32Array(4), 1, 2, 2, 4, false, false, index, index)).toThrow(
        /too short/,
      );
      expect(() => addon.binary(99, a, b, a, Int32Array.of(6), Int32Array.of(1), Int32Array.of(1))).toThrow(
        /unknown binary op/,
      );
      expect(() => addon.binary(0, a, b, a, Int32Array.of(7), Int32Array.of(1), Int32Array.of(1))).toThrow(
        /too short/,
      );
      expect(() => addon.transpose(a, b, Int32Array.of(2, 3), Int32Array.of(4, 1))).toThrow(/too short/);
      expect(() => addon.unary(0, a, new Float32Array(2), 0)).toThrow(/too short/);
    });
  },
);

describe.skipIf(!NATIVE_AVAILABLE)(`native eigenvalues${NATIVE_AVAILABLE ? '' : ` (${SKIP_REASON})`}`, () => {
  it('recovers the eigenvalues of Q diag(d) Q^T', () => {
    const n = 24;
    const wanted = Array.from({ length: n }, (_, i) => (i - 5) * 0.75);
    // Q from Gram-Schmidt on seeded vectors.
    const raw = seededValues(n * n, 9);
    const q: number[][] = [];
    for (let i = 0; i < n; i++) {
      const v = Array.from(raw.subarray(i * n, (i + 1) * n), Number);
      for (const u of q) {
        const dot = v.reduce((sum, x, k) => sum + x * u[k], 0);
        for (let k = 0; k < n; k++) v[k] -= dot * u[k];
      }
      const norm = Math.hypot(...v);
      q.push(v.map((x) => x / norm));
    }
    const matrix = new Float64Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += q[k][r] * wanted[k] * q[k][c];
        matrix[r * n + c] = sum;
      }
    }
    const eigenvalues = symmetricEigenvalues(matrix, n);
    wanted.forEach((value, i) => {
      expect(eigenvalues[i]).toBeCloseTo(value, 9);
    });
  });

  it('rejects a matrix of the wrong size', () => {
    expect(() => symmetricEigenvalues(new Float64Array(5), 2)).toThrow(RangeError);
  });
});
