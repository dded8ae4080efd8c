/**
 * Training backend selection. The training loop calls initTrainingBackend() once before
 * building the model:
 *   'native' (default) - the CPU backend with BLAS / native kernels (training/native),
 *   'cpu'              - stock pure-JS CPU backend,
 *   'wasm'             - stock WASM backend (SIMD; TensorFlow.js disables WASM threads in Node).
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { loadNativeAddon } from './addon.js';
import { NATIVE_BACKEND, registerNativeKernels } from './register.js';
import { registerMissingWasmKernels } from './wasm-kernels.js';

export { NativeAddonMissingError, nativeAddonAvailable } from './addon.js';
export { symmetricEigenvalues } from './linalg.js';
export { NATIVE_BACKEND, registerNativeKernels } from './register.js';

export type TrainingBackendName = 'native' | 'cpu' | 'wasm';

export interface TrainingBackendOptions {
  backend?: TrainingBackendName;
  /** Threads for the native kernels (default: STEMDEX_TRAIN_THREADS or all cores). */
  threads?: number;
}

export interface TrainingBackend {
  backend: string;
  nativeKernels: string[];
}

export class BackendInitError extends Error {
  readonly code = 'TRAINING_BACKEND_INIT_FAILED';
  constructor(backend: string, cause?: unknown) {
    super(`could not initialise the TensorFlow.js '${backend}' backend`, { cause });
    this.name = 'BackendInitError';
  }
}

function threadCount(requested: number | undefined): number {
  const fromEnv = Number(process.env.STEMDEX_TRAIN_THREADS);
  const threads = requested ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism());
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  return threads;
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) throw new BackendInitError(name);
}

export async function initTrainingBackend(options: TrainingBackendOptions = {}): Promise<TrainingBackend> {
  const backend = options.backend ?? 'native';
  switch (backend) {
    case 'native': {
      // Throws NativeAddonMissingError (with the build command) rather than falling back.
      const nativeKernels = registerNativeKernels();
      loadNativeAddon().setNumThreads(threadCount(options.threads));
      await activate(NATIVE_BACKEND);
      return { backend: NATIVE_BACKEND, nativeKernels };
    }
    case 'cpu':
      await activate('cpu');
      return { backend: 'cpu', nativeKernels: [] };
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      registerMissingWasmKernels();
      await activate('wasm');
      return { backend: 'wasm', nativeKernels: [] };
    }
    default:
      throw new RangeError(`unknown training backend '${String(backend)}' (expected native, cpu or wasm)`);
  }
}
