/**
 * Loads the node-gyp addon in `training/native` (BLAS matrix products and the elementwise,
 * reduction, transpose and softmax kernels of a transformer training step).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Raw addon surface. Outputs are caller-allocated; every call validates its arguments. */
export interface NativeAddon {
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    aIndex: Int32Array,
    bIndex: Int32Array,
  ): void;
  binary(
    op: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    shape: Int32Array,
    stridesA: Int32Array,
    stridesB: Int32Array,
  ): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, reduced: number, inner: number): void;
  transpose(x: Float32Array, out: Float32Array, shape: Int32Array, sourceStrides: Int32Array): void;
  copy(
    x: Float32Array,
    out: Float32Array,
    shape: Int32Array,
    sourceStrides: Int32Array,
    destStrides: Int32Array,
  ): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  symmetricEigenvalues(matrix: Float64Array, n: number, out: Float64Array): void;
  setNumThreads(threads: number): void;
  numThreads(): number;
  blasInfo(): { config: string; core: string };
}

/** Op codes; they mirror the enums in training/native/src/{elementwise,reduce}.h. */
export const BinaryOp = {
  Add: 0,
  Sub: 1,
  Mul: 2,
  Div: 3,
  SquaredDifference: 4,
  Maximum: 5,
  Minimum: 6,
  Pow: 7,
} as const;

export const UnaryOp = {
  Exp: 0,
  Log: 1,
  Neg: 2,
  Square: 3,
  Sqrt: 4,
  Rsqrt: 5,
  Erf: 6,
  Tanh: 7,
  Sigmoid: 8,
  Relu: 9,
  Relu6: 10,
  Elu: 11,
  LeakyRelu: 12,
  Abs: 13,
  Reciprocal: 14,
  Step: 15,
} as const;

export const ReduceOp = { Sum: 0, Mean: 1, Max: 2, Min: 3 } as const;

export class NativeAddonMissingError extends Error {
  readonly code = 'NATIVE_ADDON_MISSING';
  constructor(searched: string[], cause?: unknown) {
    super(
      `The native training addon is not built (looked for ${searched.join(', ')}). ` +
        'Run `npm run build:native` (needs libopenblas-dev and pkg-config; see scripts/setup.sh).',
      { cause },
    );
    this.name = 'NativeAddonMissingError';
  }
}

const ADDON_FILE = 'stemdex_native.node';
const here = dirname(fileURLToPath(import.meta.url));

// From the sources (training/backend) and from a compiled copy (dist/training/backend).
const candidatePaths = [
  resolve(here, '../native/build/Release', ADDON_FILE),
  resolve(here, '../../../training/native/build/Release', ADDON_FILE),
];

let loaded: NativeAddon | undefined;

/** True when the addon has been built and loads on this machine. */
export function nativeAddonAvailable(): boolean {
  try {
    loadNativeAddon();
    return true;
  } catch {
    return false;
  }
}

/** Loads the addon once; throws NativeAddonMissingError when it is not built. */
export function loadNativeAddon(): NativeAddon {
  if (loaded) return loaded;
  const path = candidatePaths.find((candidate) => existsSync(candidate));
  if (!path) throw new NativeAddonMissingError(candidatePaths);
  try {
    loaded = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (error) {
    throw new NativeAddonMissingError([path], error);
  }
  return loaded;
}
