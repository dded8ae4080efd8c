/**
 * Stem-JEPA training-step benchmark: the real `createStemJepa(...).trainStep` (context encoder
 * forward + backward, predictor, AdamW, target-encoder forward, EMA) timed side by side on the
 * TensorFlow.js backends that install here, for several model sizes and batch sizes.
 *
 *   npm run bench:train                      # default grid (~20 min: the stock CPU backend is slow)
 *   npm run bench:train -- --sizes 128x2,128x4 --batches 8 --backends native,wasm --steps 3
 *   npm run bench:train -- --profile --sizes 128x4 --backends native,wasm   # per-kernel profile
 *
 * Sizes are `<dim>x<depth>` on top of the `small` preset (heads = dim / 32, MLP ratio 4,
 * predictor hidden = 2 * dim). WASM and the stock CPU backend run only `--slow-sizes` at the
 * first batch size. Backends of one configuration are interleaved step by step (the machine is
 * shared: other load then hits all of them alike). Step times are the median of the timed steps
 * (min in brackets); the speed-up is the median of the per-round ratios to the WASM step.
 * GFLOP/s counts matrix-product FLOPs analytically: forward = 2 * tokens * (weights of every
 * linear layer) + 4 * tokens^2 * dim per attention block; a training step = 3 x (context encoder
 * + predictor forward) + 1 x target encoder forward. The same model and batch run on every backend.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadNativeAddon } from '../training/backend/addon.js';
import { initTrainingBackend, type TrainingBackendName } from '../training/backend/index.js';
import { type ModelConfig, patchGrid, presetConfig } from '../training/model/config.js';
import { encoderParamSpecs, type ParamSpec, predictorParamSpecs } from '../training/model/params.js';
import { createStemJepa, type StemJepa, type TrainBatch } from '../training/model/stem-jepa.js';

interface Size {
  dim: number;
  depth: number;
}

interface Result {
  backend: TrainingBackendName;
  size: string;
  batch: number;
  medianMs: number;
  minMs: number;
  examplesPerSecond: number;
  gflops: number;
  /** Median over rounds of (WASM step time / this backend's step time in the same round). */
  speedupVsWasm?: number;
}

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'native,wasm,cpu' },
    sizes: { type: 'string', default: '128x2,128x4,192x4,256x4,256x6' },
    batches: { type: 'string', default: '8,32' },
    steps: { type: 'string', default: '3' },
    // Rounds when only the native backend runs (its steps are cheap; more make the median robust).
    'native-steps': { type: 'string', default: '8' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'slow-sizes': { type: 'string', default: '128x2,128x4' },
    profile: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const BACKEND_ORDER: TrainingBackendName[] = ['wasm', 'cpu', 'native'];
const requestedBackends = args.backends.split(',');
const backends = BACKEND_ORDER.filter((name) => requestedBackends.includes(name));
const sizes = args.sizes.split(',').map(parseSize);
const batches = args.batches.split(',').map(Number);
const steps = Number(args.steps);
const nativeSteps = Number(args['native-steps']);
const threads = Number(args.threads);
const slowSizes = new Set(args['slow-sizes'].split(','));

function parseSize(text: string): Size {
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match) throw new Error(`size must look like 128x4 (dim x depth), got ${text}`);
  return { dim: Number(match[1]), depth: Number(match[2]) };
}

function sizeName({ dim, depth }: Size): string {
  return `${dim}x${depth}`;
}

function modelConfig({ dim, depth }: Size): ModelConfig {
  return presetConfig('small', { dim, depth, heads: dim / 32, predictorHidden: 2 * dim });
}

/** 2 x inputs x outputs per token for every rank-2 weight whose name matches. */
function linearFlopsPerToken(specs: ParamSpec[], include: RegExp): number {
  return specs
    .filter((spec) => spec.shape.length === 2 && include.test(spec.name))
    .reduce((sum, spec) => sum + 2 * spec.shape[0] * spec.shape[1], 0);
}

export function trainingFlopsPerExample(config: ModelConfig): number {
  const tokens = patchGrid(config).numPatches;
  const encoder =
    tokens * linearFlopsPerToken(encoderParamSpecs(config), /\.weight$/) +
    config.depth * 4 * tokens * tokens * config.dim;
  const predictor =
    tokens * linearFlopsPerToken(predictorParamSpecs(config), /^predictor\.layers\.\d+\.weight$/);
  return 3 * (encoder + predictor) + encoder;
}

/** Deterministic pseudo log-mels (standard-normal-ish) and instrument ids. */
function syntheticBatch(config: ModelConfig, batchSize: number, seed: number): TrainBatch {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const values = batchSize * config.nMels * config.chunkFrames;
  const normalish = () => (next() + next() + next() - 1.5) * 2;
  return {
    context: Float32Array.from({ length: values }, normalish),
    target: Float32Array.from({ length: values }, normalish),
    instrumentIds: Int32Array.from({ length: batchSize }, () => Math.floor(next() * config.numInstruments)),
    batchSize,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Runner {
  backend: TrainingBackendName;
  model: StemJepa;
  times: number[];
}

/**
 * Times the backends side by side on the same model and batch, interleaved step by step (one
 * step on each backend per round), so that load from other processes on this shared machine
 * hits them alike; each backend's speed-up over WASM is the median of the per-round ratios.
 */
async function timeInterleaved(
  backendsHere: TrainingBackendName[],
  size: Size,
  batchSize: number,
  rounds: number,
): Promise<Result[]> {
  const config = modelConfig(size);
  const batch = syntheticBatch(config, batchSize, 7);
  const runners: Runner[] = [];
  try {
    for (const backend of backendsHere) {
      await initTrainingBackend({ backend, threads });
      const model = createStemJepa(config, 1);
      runners.push({ backend, model, times: [] });
      model.trainStep(batch); // warm-up: kernel set-up, first allocations, buffer pool
    }
    for (let round = 0; round < rounds; round++) {
      for (const runner of runners) {
        await initTrainingBackend({ backend: runner.backend, threads });
        const start = performance.now();
        const loss = runner.model.trainStep(batch);
        runner.times.push(performance.now() - start);
        if (!Number.isFinite(loss)) throw new Error(`non-finite loss ${loss} on ${runner.backend}`);
      }
    }
  } finally {
    for (const runner of runners) runner.model.dispose();
  }
  const wasm = runners.find((runner) => runner.backend === 'wasm');
  return runners.map(({ backend, times }) => {
    const medianMs = median(times);
    return {
      backend,
      size: sizeName(size),
      batch: batchSize,
      medianMs,
      minMs: Math.min(...times),
      examplesPerSecond: (1000 * batchSize) / medianMs,
      gflops: (trainingFlopsPerExample(config) * batchSize) / (medianMs * 1e6),
      speedupVsWasm: wasm ? median(times.map((ms, round) => wasm.times[round] / ms)) : undefined,
    };
  });
}

async function profileStep(backend: TrainingBackendName, size: Size, batchSize: number): Promise<void> {
  await initTrainingBackend({ backend, threads });
  const config = modelConfig(size);
  const model = createStemJepa(config, 1);
  const batch = syntheticBatch(config, batchSize, 7);
  model.trainStep(batch);
  const start = performance.now();
  const info = await tf.profile(() => {
    model.trainStep(batch);
  });
  const wall = performance.now() - start;
  model.dispose();
  const byKernel = new Map<string, number>();
  // Only registered kernels: custom-gradient wrappers and named scopes (`fusedMatMul__op`,
  // `forward`) also appear in the profile, around kernels that are listed separately.
  const kernels = info.kernels.filter((entry) => tf.getKernel(entry.name, tf.getBackend()) !== undefined);
  for (const kernel of kernels) {
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    byKernel.set(kernel.name, (byKernel.get(kernel.name) ?? 0) + ms);
  }
  const kernelCalls = kernels.length;
  const kernelTotal = [...byKernel.values()].reduce((sum, ms) => sum + ms, 0);
  console.log(
    `\nprofile: ${backend} ${sizeName(size)} batch ${batchSize}: step ${wall.toFixed(0)} ms (profiled), kernels ${kernelTotal.toFixed(0)} ms, ${kernelCalls} kernel calls`,
  );
  console.log('| kernel | ms | share |\n|---|---:|---:|');
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
    console.log(`| ${name} | ${ms.toFixed(1)} | ${((100 * ms) / kernelTotal).toFixed(1)}% |`);
  }
  console.log(`| (outside kernels: JS, tape, monitors) | ${(wall - kernelTotal).toFixed(1)} | |`);
}

/** Single-precision GEMM throughput of the addon's BLAS path (the ceiling for the whole step). */
function measureSgemmPeak(): void {
  const addon = loadNativeAddon();
  const n = 1024;
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const out = new Float32Array(n * n);
  const index = new Int32Array(1);
  const info = addon.blasInfo();
  console.log(`OpenBLAS: ${info.config} (core ${info.core})`);
  for (const count of [...new Set([1, threads])]) {
    addon.setNumThreads(count);
    let best = Number.POSITIVE_INFINITY;
    for (let rep = 0; rep < 5; rep++) {
      const start = performance.now();
      addon.matmul(a, b, out, 1, n, n, n, false, false, index, index);
      best = Math.min(best, performance.now() - start);
    }
    console.log(`sgemm ${n}^3, ${count} thread(s): ${((2 * n ** 3) / (best * 1e6)).toFixed(1)} GFLOP/s`);
  }
  addon.setNumThreads(threads);
}

async function main(): Promise<void> {
  console.log(
    `threads ${threads}; ${steps} timed steps (native: ${nativeSteps}) after 1 warm-up; step ms = median [min]`,
  );
  if (backends.includes('native')) measureSgemmPeak();
  if (args.profile) {
    for (const backend of backends) await profileStep(backend, sizes[0], batches[0]);
    return;
  }
  const results: Result[] = [];
  console.log('\n| backend | size (dim x depth) | batch | step ms | ex/s | GFLOP/s | speed-up vs wasm |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const size of sizes) {
    for (const [batchIndex, batch] of batches.entries()) {
      // The stock backends are slow: they run only the `slow-sizes` and only at the first batch size.
      const withStock = batchIndex === 0 && slowSizes.has(sizeName(size));
      const here = backends.filter((backend) => backend === 'native' || withStock);
      if (here.length === 0) continue;
      const rounds = here.some((backend) => backend !== 'native') ? steps : nativeSteps;
      for (const result of await timeInterleaved(here, size, batch, rounds)) {
        results.push(result);
        const speedup = result.speedupVsWasm === undefined ? '' : `${result.speedupVsWasm.toFixed(1)}x`;
        console.log(
          `| ${result.backend} | ${result.size} | ${batch} | ${result.medianMs.toFixed(0)} [${result.minMs.toFixed(0)}] | ` +
            `${result.examplesPerSecond.toFixed(1)} | ${result.gflops.toFixed(1)} | ${speedup} |`,
        );
      }
    }
  }
  if (args.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  }
}

await main();
