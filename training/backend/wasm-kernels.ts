/**
 * Kernels the stock WASM backend lacks but a Stem-JEPA training step needs, so that the WASM
 * backend can run the same model for comparison. UnsortedSegmentSum is the gradient of gather
 * (the predictor's instrument-label lookup); its inputs are tiny ([batch, labelDim]), so plain
 * JavaScript over the backend's read/write interface is enough.
 */
import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  type TensorInfo,
} from '@tensorflow/tfjs';

interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): TensorInfo;
}

function unsortedSegmentSum({
  inputs,
  backend,
  attrs,
}: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: unknown;
  attrs: { numSegments: number };
}): TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { x, segmentIds } = inputs;
  if (x.dtype !== 'float32')
    throw new TypeError(`UnsortedSegmentSum on wasm supports float32, got ${x.dtype}`);
  const values = wasm.readSync(x.dataId);
  const ids = wasm.readSync(segmentIds.dataId);
  const inner = values.length / Math.max(1, ids.length);
  const out = new Float32Array(attrs.numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const segment = ids[i];
    if (segment < 0 || segment >= attrs.numSegments) continue;
    for (let j = 0; j < inner; j++) out[segment * inner + j] += values[i * inner + j];
  }
  return wasm.makeOutput(
    [attrs.numSegments, ...x.shape.slice(segmentIds.shape.length)],
    'float32',
    undefined,
    out,
  );
}

const MISSING_WASM_KERNELS: KernelConfig[] = [
  {
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
  },
];

/** Registers the kernels above for 'wasm' where TensorFlow.js does not provide them. */
export function registerMissingWasmKernels(): void {
  for (const config of MISSING_WASM_KERNELS) {
    if (!getKernel(config.kernelName, config.backendName)) registerKernel(config);
  }
}
