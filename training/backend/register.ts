/**
 * The 'native' TensorFlow.js backend: a second instance of the stock CPU backend (tensors in
 * JS typed arrays) that runs the kernels dominating a transformer training step in the native
 * addon. Gradients are unchanged: TensorFlow.js derives them from the same kernel names, so the
 * backward pass runs on the native kernels too. Keeping 'cpu' untouched lets tests and benches
 * compare both in one process.
 */
import {
  findBackendFactory,
  getKernel,
  getKernelsForBackend,
  type KernelBackend,
  registerBackend,
  registerKernel,
} from '@tensorflow/tfjs';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { type NativeImpl, nativeBufferPool, nativeKernel, STOCK_BACKEND } from './kernels/common.js';
import { BINARY_KERNELS, binaryImpl, UNARY_KERNELS, unaryImpl } from './kernels/elementwise.js';
import { batchMatMul, fusedMatMul } from './kernels/matmul.js';
import { REDUCE_KERNELS, reduceImpl } from './kernels/reduce.js';
import { concat, slice, splitV } from './kernels/slicing.js';
import { softmax } from './kernels/softmax.js';
import { transpose } from './kernels/transpose.js';

export const NATIVE_BACKEND = 'native';

// Below the stock CPU backend (priority 1): registering must never change TensorFlow.js' default.
const NATIVE_BACKEND_PRIORITY = 0;

function nativeImplementations(): Map<string, NativeImpl> {
  const impls = new Map<string, NativeImpl>([
    ['BatchMatMul', batchMatMul],
    ['_FusedMatMul', fusedMatMul],
    ['Transpose', transpose],
    ['Softmax', softmax],
    ['Slice', slice],
    ['SplitV', splitV],
    ['Concat', concat],
  ]);
  for (const [name, op] of Object.entries(BINARY_KERNELS)) impls.set(name, binaryImpl(op));
  for (const [name, op] of Object.entries(UNARY_KERNELS)) impls.set(name, unaryImpl(name, op));
  for (const [name, [op, axisAttr]] of Object.entries(REDUCE_KERNELS))
    impls.set(name, reduceImpl(op, axisAttr));
  return impls;
}

let nativeKernelNames: string[] | undefined;

/**
 * Registers the 'native' backend and its kernels (idempotent). Throws NativeAddonMissingError
 * when the addon is not built. Returns the names of the kernels that run natively.
 */
export function registerNativeKernels(): string[] {
  const addon: NativeAddon = loadNativeAddon();
  if (!nativeKernelNames) {
    const cpuFactory = findBackendFactory(STOCK_BACKEND);
    if (!cpuFactory) throw new Error(`the TensorFlow.js ${STOCK_BACKEND} backend is not registered`);
    const withPool = (backend: KernelBackend) => {
      nativeBufferPool.attach(backend);
      return backend;
    };
    const nativeFactory = () => {
      const created = cpuFactory();
      return created instanceof Promise ? created.then(withPool) : withPool(created);
    };
    registerBackend(NATIVE_BACKEND, nativeFactory, NATIVE_BACKEND_PRIORITY);
    const impls = nativeImplementations();
    for (const [name, impl] of impls) registerKernel(nativeKernel(name, NATIVE_BACKEND, addon, impl));
    nativeKernelNames = [...impls.keys()].sort();
  }
  // Stock kernels may be registered after the first call (late imports); copy any missing one.
  for (const config of getKernelsForBackend(STOCK_BACKEND)) {
    if (!getKernel(config.kernelName, NATIVE_BACKEND))
      registerKernel({ ...config, backendName: NATIVE_BACKEND });
  }
  return [...nativeKernelNames];
}
