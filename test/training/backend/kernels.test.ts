/**
 * Each native kernel against the stock TensorFlow.js CPU kernel on seeded random inputs.
 * Tolerances: elementwise ops 1e-6 relative (they differ only in rounding); exp-based ops
 * 2e-6 to 1e-5 relative (polynomial exp, ~1 ulp); erf 1e-6 absolute (the stock kernel evaluates
 * the same Abramowitz-Stegun formula in double, the native one in float); matrix products 1e-4
 * relative with 1e-5 absolute (float32 vs JavaScript-double accumulation over up to 300 terms).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  expectClose,
  expectNativeMatchesStock,
  NATIVE_AVAILABLE,
  runOn,
  SKIP_REASON,
  seededValues,
} from './helpers.js';

const t = (shape: number[], seed: number, low = -1, high = 1) =>
  tf.tensor(
    seededValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
      low,
      high,
    ),
    shape,
  );

describe.skipIf(!NATIVE_AVAILABLE)(
  `native matrix products${NATIVE_AVAILABLE ? '' : ` (${SKIP_REASON})`}`,
  () => {
    const cases: Array<[string, number[], number[], boolean, boolean]> = [
      ['2-D', [37, 53], [53, 29], false, false],
      ['2-D, A transposed', [53, 37], [53, 29], true, false],
      ['2-D, B transposed', [37, 53], [29, 53], false, true],
      ['2-D, both transposed', [53, 37], [29, 53], true, true],
      ['batched', [3, 17, 8], [3, 8, 11], false, false],
      ['batched attention scores (B transposed)', [2, 4, 50, 16], [2, 4, 50, 16], false, true],
      ['batched gradient (A transposed)', [2, 4, 50, 16], [2, 4, 50, 12], true, false],
      ['rank-3 times rank-2', [4, 5, 6], [6, 3], false, false],
      ['rank-2 times rank-3', [5, 6], [4, 6, 3], false, false],
      ['large enough to split across threads', [300, 256], [256, 200], false, false],
      ['large, wide output split by columns', [40, 256], [256, 900], false, false],
      ['inner dimension 0', [3, 0], [0, 4], false, false],
    ];
    for (const [name, aShape, bShape, transposeA, transposeB] of cases) {
      it(`BatchMatMul: ${name}`, async () => {
        await expectNativeMatchesStock(
          () => tf.matMul(t(aShape, 1), t(bShape, 2), transposeA, transposeB),
          1e-4,
          1e-5,
        );
      });
    }

    it('BatchMatMul broadcasts batch dims in both operands (the stock kernel gets this case wrong)', async () => {
      const a = () => t([2, 1, 5, 7], 11);
      const b = () => t([3, 7, 4], 12);
      const [native] = await runOn('native', () => tf.matMul(a(), b()));
      // Reference: the same product with both operands explicitly tiled to the full batch shape.
      const [reference] = await runOn('cpu', () =>
        tf.matMul(tf.tile(a(), [1, 3, 1, 1]), tf.tile(tf.reshape(b(), [1, 3, 7, 4]), [2, 1, 1, 1])),
      );
      expectClose(native, reference, 1e-4, 1e-5);
    });

    it('BatchMatMul keeps the stock error for mismatched inner dimensions', async () => {
      await tf.setBackend('native');
      expect(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 5]))).toThrow(/inner shapes/);
    });

    const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
    for (const activation of activations) {
      it(`_FusedMatMul with bias and ${activation}`, async () => {
        await expectNativeMatchesStock(
          () =>
            tf.fused.matMul({
              a: t([3, 20, 24], 3, -3, 3),
              b: t([24, 16], 4),
              bias: t([16], 5),
              activation,
              preluActivationWeights: activation === 'prelu' ? t([16], 6) : undefined,
              leakyreluAlpha: 0.1,
            }),
          1e-4,
          1e-5,
        );
      });
    }

    it('_FusedMatMul with a per-row bias and transposed operands', async () => {
      await expectNativeMatchesStock(
        () =>
          tf.fused.matMul({
            a: t([24, 20], 7),
            b: t([16, 24], 8),
            transposeA: true,
            transposeB: true,
            bias: t([20, 1], 9),
            activation: 'relu',
          }),
        1e-4,
        1e-5,
      );
    });
  },
);

describe.skipIf(!NATIVE_AVAILABLE)(
  `native elementwise ops${NATIVE_AVAILABLE ? '' : ` (${SKIP_REASON})`}`,
  () => {
    const shapePairs: Array<[number[], number[]]> = [
      [
        [3, 4, 5],
        [3, 4, 5],
      ],
      [[3, 4, 5], [5]],
      [[5], [3, 4, 5]],
      [
        [3, 1, 5],
        [1, 4, 1],
      ],
      [[], [6, 7]],
      [
        [2, 3, 4, 5],
        [3, 1, 5],
      ],
      [
        [8, 50, 64],
        [8, 50, 1],
      ],
      [
        [64, 300],
        [64, 300],
      ],
      [[0, 3], [3]],
    ];
    const binary: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, number]> = [
      ['add', tf.add, 1],
      ['sub', tf.sub, 1],
      ['mul', tf.mul, 1],
      ['div', tf.div, 1],
      ['squaredDifference', tf.squaredDifference, 1],
      ['maximum', tf.maximum, 1],
      ['minimum', tf.minimum, 1],
      ['pow', tf.pow, 0],
    ];
    for (const [name, op, low] of binary) {
      it(`${name} with broadcasting`, async () => {
        for (const [i, [aShape, bShape]] of shapePairs.entries()) {
          // pow: positive bases keep results real.
          await expectNativeMatchesStock(() =>
            op(t(aShape, 10 + i, low === 0 ? 0.1 : -2, 2), t(bShape, 20 + i, -2, 2)),
          );
        }
      });
    }

    it('maximum and minimum propagate NaN like the stock kernels', async () => {
      const a = () => tf.tensor([1, Number.NaN, 3, -Infinity]);
      const b = () => tf.tensor([Number.NaN, 2, 4, 0]);
      await expectNativeMatchesStock(() => [tf.maximum(a(), b()), tf.minimum(a(), b())]);
    });

    it('int32 inputs fall back to the stock kernels and keep their dtype', async () => {
      const [sum] = await runOn('native', () =>
        tf.add(tf.tensor([1, 2], [2], 'int32'), tf.tensor([3, 4], [2], 'int32')),
      );
      expect(sum.dtype).toBe('int32');
      expect([...sum.values]).toEqual([4, 6]);
    });

    const special = [
      0,
      -0,
      1e-30,
      -1e-30,
      88.5,
      89,
      -87.5,
      -103.9,
      -104.5,
      200,
      -200,
      Infinity,
      -Infinity,
      Number.NaN,
    ];
    const unary: Array<[string, (x: tf.Tensor) => tf.Tensor, number, number, number, number?]> = [
      ['exp', tf.exp, -20, 20, 2e-6],
      ['log', tf.log, 0.01, 10, 1e-6],
      ['neg', tf.neg, -5, 5, 1e-6],
      ['square', tf.square, -5, 5, 1e-6],
      ['sqrt', tf.sqrt, 0, 10, 1e-6],
      ['rsqrt', tf.rsqrt, 0.01, 10, 1e-6],
      ['erf', tf.erf, -4, 4, 1e-5, 1e-6],
      ['tanh', tf.tanh, -6, 6, 1e-6],
      ['sigmoid', tf.sigmoid, -20, 20, 1e-5],
      ['relu', tf.relu, -5, 5, 1e-6],
      ['relu6', tf.relu6, -3, 9, 1e-6],
      ['elu', tf.elu, -5, 5, 1e-5],
      ['leakyRelu', (x) => tf.leakyRelu(x, 0.3), -5, 5, 1e-6],
      ['abs', tf.abs, -5, 5, 1e-6],
      ['reciprocal', tf.reciprocal, 0.1, 5, 1e-6],
      ['step', (x) => tf.step(x, 0.25), -5, 5, 1e-6],
    ];
    for (const [name, op, low, high, rtol, atol = 1e-7] of unary) {
      it(`${name} on random values`, async () => {
        await expectNativeMatchesStock(() => op(t([7, 1001], 30, low, high)), rtol, atol);
      });
    }

    it('exp, sigmoid, elu and erf handle the edges of the float range, infinities and NaN', async () => {
      const x = () => tf.tensor(special);
      await expectNativeMatchesStock(() => [tf.exp(x()), tf.sigmoid(x()), tf.elu(x())], 2e-6, 1e-37);
      await expectNativeMatchesStock(() => tf.erf(x()), 1e-5, 1e-6);
    });
  },
);

describe.skipIf(!NATIVE_AVAILABLE)(
  `native reductions, layout ops and softmax${NATIVE_AVAILABLE ? '' : ` (${SKIP_REASON})`}`,
  () => {
    const reductions: Array<
      [string, (x: tf.Tensor, axis?: number | number[], keepDims?: boolean) => tf.Tensor]
    > = [
      ['sum', tf.sum],
      ['mean', tf.mean],
      ['max', tf.max],
      ['min', tf.min],
    ];
    const axesCases: Array<number | number[] | undefined> = [
      undefined,
      0,
      1,
      -1,
      [0, 1],
      [1, 2],
      [0, 2],
      [0, 1, 2, 3],
      [1, 3],
    ];
    for (const [name, op] of reductions) {
      it(`${name} over every kind of axis set, with and without keepDims`, async () => {
        for (const axis of axesCases) {
          for (const keepDims of [false, true]) {
            await expectNativeMatchesStock(() => op(t([6, 1, 40, 7], 40), axis, keepDims), 1e-5, 1e-6);
          }
        }
        await expectNativeMatchesStock(() => op(t([2000, 128], 41), 0), 1e-5, 1e-6);
        await expectNativeMatchesStock(() => op(t([2000, 128], 42), -1, true), 1e-5, 1e-6);
      });
    }

    it('max and min propagate NaN', async () => {
      const x = () =>
        tf.tensor([
          [1, Number.NaN, 3],
          [4, 5, 6],
        ]);
      await expectNativeMatchesStock(() => [tf.max(x(), 1), tf.min(x(), 1), tf.max(x(), 0), tf.min(x(), 0)]);
    });

    it('transpose for every permutation of rank 2 to 5 that a model uses', async () => {
      const cases: Array<[number[], number[]]> = [
        [
          [17, 23],
          [1, 0],
        ],
        [
          [4, 50, 3, 2, 8],
          [2, 0, 3, 1, 4],
        ],
        [
          [2, 3, 4, 5],
          [0, 2, 1, 3],
        ],
        [
          [2, 3, 4, 5],
          [3, 2, 1, 0],
        ],
        [
          [2, 5, 16, 50, 16],
          [0, 1, 3, 2, 4],
        ],
        [
          [3, 4, 5],
          [0, 1, 2],
        ],
        [
          [64, 600],
          [1, 0],
        ],
      ];
      for (const [shape, perm] of cases)
        await expectNativeMatchesStock(() => tf.transpose(t(shape, 50), perm));
    });

    it('softmax over the last axis, including large logits', async () => {
      await expectNativeMatchesStock(() => tf.softmax(t([7, 13], 60, -5, 5)), 1e-5, 1e-7);
      await expectNativeMatchesStock(() => tf.softmax(t([2, 3, 250], 61, -50, 50)), 1e-5, 1e-7);
      await expectNativeMatchesStock(() => tf.softmax(t([4, 9], 62, 500, 1000)), 1e-5, 1e-7);
    });

    it('slice, split and concat along every axis', async () => {
      const x = () => t([4, 6, 10], 70);
      await expectNativeMatchesStock(() => [
        tf.slice(x(), [1, 2, 3], [2, 3, 4]),
        tf.slice(x(), [0, 0, 5], [-1, -1, -1]),
        tf.slice(x(), [2], [1]),
      ]);
      for (const axis of [0, 1, 2, -1]) {
        await expectNativeMatchesStock(() => tf.split(x(), 2, axis));
        await expectNativeMatchesStock(() => tf.concat([x(), t([4, 6, 10], 71), x()], axis));
      }
      await expectNativeMatchesStock(() => tf.split(x(), [3, -1, 2], 2));
      await expectNativeMatchesStock(() => tf.concat([t([4, 0, 10], 72), x()], 1));
    });
  },
);
