import { describe, expect, it } from 'vitest';
import {
  batchIndices,
  binaryLayout,
  broadcastShapes,
  reducedShape,
  reducePlan,
  transposeLayout,
} from '../../../training/backend/layout.js';

describe('broadcast layouts', () => {
  it('broadcasts like NumPy and rejects incompatible shapes', () => {
    expect(broadcastShapes([3, 1, 5], [4, 1])).toEqual([3, 4, 5]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes([2, 3], [3, 2])).toBeUndefined();
  });

  it('merges a same-shape operation into one contiguous loop', () => {
    const layout = binaryLayout([8, 250, 128], [8, 250, 128])!;
    expect([...layout.loopShape]).toEqual([8 * 250 * 128]);
    expect([...layout.stridesA]).toEqual([1]);
    expect([...layout.stridesB]).toEqual([1]);
  });

  it('gives a broadcast bias stride 0 on the merged leading axes', () => {
    const layout = binaryLayout([8, 250, 128], [128])!;
    expect(layout.outShape).toEqual([8, 250, 128]);
    expect([...layout.loopShape]).toEqual([2000, 128]);
    expect([...layout.stridesA]).toEqual([128, 1]);
    expect([...layout.stridesB]).toEqual([0, 1]);
  });

  it('handles scalars and size-1 axes', () => {
    const scalar = binaryLayout([], [])!;
    expect(scalar.outShape).toEqual([]);
    expect([...scalar.loopShape]).toEqual([1]);
    const perRow = binaryLayout([8, 250, 1], [8, 250, 128])!;
    expect([...perRow.loopShape]).toEqual([2000, 128]);
    expect([...perRow.stridesA]).toEqual([1, 0]);
    expect([...perRow.stridesB]).toEqual([128, 1]);
  });
});

describe('transpose layouts', () => {
  it('keeps the contiguous head dimension as the inner run of an attention transpose', () => {
    const layout = transposeLayout([8, 250, 4, 32], [0, 2, 1, 3]);
    expect(layout.outShape).toEqual([8, 4, 250, 32]);
    expect([...layout.loopShape]).toEqual([8, 4, 250, 32]);
    expect([...layout.sourceStrides]).toEqual([32000, 32, 128, 1]);
  });

  it('collapses an identity permutation to a single copy', () => {
    const layout = transposeLayout([2, 3, 4], [0, 1, 2]);
    expect([...layout.loopShape]).toEqual([24]);
    expect([...layout.sourceStrides]).toEqual([1]);
  });
});

describe('reduction plans', () => {
  it('reduces a trailing block, a leading block and a middle block in place', () => {
    expect(reducePlan([8, 250, 128], [2])).toEqual({ kind: 'block', outer: 2000, reduced: 128, inner: 1 });
    expect(reducePlan([8, 250, 128], [0, 1])).toEqual({ kind: 'block', outer: 1, reduced: 2000, inner: 128 });
    expect(reducePlan([4, 5, 6], [1])).toEqual({ kind: 'block', outer: 4, reduced: 5, inner: 6 });
  });

  it('ignores size-1 axes when deciding whether reduced axes are adjacent', () => {
    expect(reducePlan([4, 1, 6], [0, 2])).toEqual({ kind: 'block', outer: 1, reduced: 24, inner: 1 });
    expect(reducePlan([4, 1, 6], [0, 1])).toEqual({ kind: 'block', outer: 1, reduced: 4, inner: 6 });
  });

  it('transposes non-adjacent reduced axes to the end', () => {
    expect(reducePlan([2, 3, 4], [0, 2])).toEqual({
      kind: 'transposeFirst',
      perm: [1, 0, 2],
      outer: 3,
      reduced: 8,
    });
  });

  it('computes output shapes with and without kept dims', () => {
    expect(reducedShape([2, 3, 4], [0, 2], true)).toEqual([1, 3, 1]);
    expect(reducedShape([2, 3, 4], [0, 2], false)).toEqual([3]);
  });
});

describe('batch indices', () => {
  it('maps each output matrix to the operand matrix it broadcasts from', () => {
    expect([...batchIndices([2, 1], [2, 3])]).toEqual([0, 0, 0, 1, 1, 1]);
    expect([...batchIndices([3], [2, 3])]).toEqual([0, 1, 2, 0, 1, 2]);
    expect([...batchIndices([], [4])]).toEqual([0, 0, 0, 0]);
  });
});
