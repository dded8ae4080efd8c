/** Small dense linear algebra for training monitors, on the addon's LAPACK. */
import { loadNativeAddon } from './addon.js';

/**
 * Eigenvalues, ascending, of the symmetric `n x n` row-major matrix `values` (LAPACK dsyevd in
 * double precision). For monitors such as the effective rank of a batch's embeddings: a JavaScript
 * Jacobi solver took ~0.5 s for n = 128 and ~2.6 s for n = 256 on this machine, this takes
 * milliseconds. Throws NativeAddonMissingError when the addon is not built.
 */
export function symmetricEigenvalues(values: ArrayLike<number>, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (values.length !== n * n)
    throw new RangeError(`expected ${n * n} values for a ${n}x${n} matrix, got ${values.length}`);
  const matrix = Float64Array.from(values);
  const eigenvalues = new Float64Array(n);
  loadNativeAddon().symmetricEigenvalues(matrix, n, eigenvalues);
  return eigenvalues;
}
