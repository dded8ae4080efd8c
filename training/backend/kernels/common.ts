/**
 * What every native kernel shares: reading Float32 values out of the CPU backend's storage,
 * wrapping results as tensors, and delegating to the stock CPU kernel for the cases the
 * native code does not cover (other dtypes, malformed shapes whose stock error we want to keep).
 */
import { totalmem } from 'node:os';
import {
  type DataType,
  getKernel,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon.js';
import { FloatBufferPool } from '../buffer-pool.js';

/** The parts of the CPU backend (MathBackendCPU) the kernels use. */
interface CpuStorage {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
}

export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}

/** A native implementation returns undefined to hand the call to the stock kernel. */
export type NativeImpl = (addon: NativeAddon, args: KernelArgs) => TensorInfo | TensorInfo[] | undefined;

export const STOCK_BACKEND = 'cpu';

/** The input's values when it is a float32 tensor stored as a Float32Array, else undefined. */
export function floatValues(
  backend: KernelBackend,
  tensor: TensorInfo | undefined,
): Float32Array | undefined {
  if (tensor?.dtype !== 'float32') return undefined;
  const values = (backend as unknown as CpuStorage).data.get(tensor.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

/**
 * Cap on recycled-but-unused output memory: a third of RAM by default (STEMDEX_NATIVE_POOL_MB
 * overrides). The pool settles at about one step's worth of activations; a cap below that
 * (measured: 2 GiB for the `small` model at batch 32) brings back GC and page-fault costs.
 */
function poolLimitBytes(): number {
  const fromEnv = Number(process.env.STEMDEX_NATIVE_POOL_MB);
  if (process.env.STEMDEX_NATIVE_POOL_MB && Number.isFinite(fromEnv) && fromEnv >= 0)
    return fromEnv * 2 ** 20;
  return Math.floor(totalmem() / 3);
}

export const nativeBufferPool = new FloatBufferPool(poolLimitBytes());

/**
 * An output array whose contents are left uninitialised (recycled or freshly allocated): every
 * native kernel writes all of its output, so zero-filling would be a wasted pass over memory.
 */
export function uninitializedFloats(length: number): Float32Array {
  return nativeBufferPool.take(length);
}

export function floatOutput(backend: KernelBackend, shape: number[], values: Float32Array): TensorInfo {
  return (backend as unknown as CpuStorage).makeTensorInfo(shape, 'float32', values);
}

/** Kernel config for `backendName` running `impl`, falling back to the stock CPU kernel. */
export function nativeKernel(
  kernelName: string,
  backendName: string,
  addon: NativeAddon,
  impl: NativeImpl,
): KernelConfig {
  const stock = getKernel(kernelName, STOCK_BACKEND);
  if (!stock)
    throw new Error(`stock kernel ${kernelName} is not registered for the ${STOCK_BACKEND} backend`);
  const kernelFunc = ((args: KernelArgs) => impl(addon, args) ?? stock.kernelFunc(args)) as KernelFunc;
  return { kernelName, backendName, kernelFunc };
}
