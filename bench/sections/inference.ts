import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { chunkSamples } from '../../src/audio/frontend-config.js';
import type { ModelManifest } from '../../src/inference/manifest.js';
import { ModelSessions } from '../../src/inference/sessions.js';
import {
  initTrainingBackend,
  nativeAddonAvailable,
  type TrainingBackendName,
} from '../../training/backend/index.js';
import { DEV_MODEL_SEED } from '../../training/export/dev-model.js';
import { type ModelConfig, ModelConfigSchema, mlpHidden, patchGrid } from '../../training/model/config.js';
import { initParams } from '../../training/model/params.js';
import { StemJepa } from '../../training/model/stem-jepa.js';
import { type Cell, round, type Table } from '../report.js';
import { callsPerSecond, seededValues } from './timing.js';

const BATCHES = [1, 8, 32];
const THREADS = [1, 2];
/** A TF.js case whose single call would take longer than this is skipped (the pure-JS backend at batch 32). */
const MAX_CALL_SECONDS = 12;

interface Rate {
  encode: number;
  predict: number;
}

const both = (rate: Rate) => 1 / (1 / rate.encode + 1 / rate.predict);

/**
 * Multiply-adds of one chunk through the encoder and the predictor, counted from the architecture
 * (matrix products only; norms, softmax and GELU are a few percent more elementwise work).
 */
export function flopsPerChunk(config: ModelConfig): { encoder: number; predictor: number } {
  const { numPatches: n, patchSize } = patchGrid(config);
  const d = config.dim;
  const block = 2 * n * d * (3 * d) + 2 * 2 * n * n * d + 2 * n * d * d + 2 * 2 * n * d * mlpHidden(config);
  const encoder = 2 * n * patchSize * d + config.depth * block;
  const h = config.predictorHidden;
  const predictor = 2 * n * (d * h + (config.predictorDepth - 2) * h * h + h * d);
  return { encoder, predictor };
}

/** Theoretical FP32 peak: cores × clock × 32 FLOP/cycle (two 256-bit FMA pipes; AVX-512 parts may do 64). */
function peakFlops(cores: number): { flops: number; note: string } {
  const mhz = cpus()[0]?.speed ?? 0;
  const clock = mhz > 0 ? mhz * 1e6 : 2.5e9;
  return {
    flops: cores * clock * 32,
    note: `peak assumed ${cores} cores × ${(clock / 1e9).toFixed(2)} GHz × 32 FP32 FLOP/cycle = ${((cores * clock * 32) / 1e9).toFixed(0)} GFLOP/s`,
  };
}

async function ortRates(modelDir: string, threads: number, seconds: number): Promise<Map<number, Rate>> {
  const sessions = await ModelSessions.load({
    modelDir,
    executionProviders: ['cpu'],
    intraOpThreads: threads,
    thread: 'main',
  });
  const rates = new Map<number, Rate>();
  try {
    for (const batch of BATCHES) {
      const logMels = seededValues(batch * sessions.featureSize, batch);
      const context = await sessions.encode(logMels, batch);
      const ids = Array.from({ length: batch }, (_, i) => i % sessions.manifest.instruments.length);
      rates.set(batch, {
        encode: batch * (await callsPerSecond(() => sessions.encode(logMels, batch), seconds)),
        predict: batch * (await callsPerSecond(() => sessions.predict(context, ids, batch), seconds)),
      });
    }
  } finally {
    await sessions.close();
  }
  return rates;
}

/** Largest absolute difference between onnxruntime's and TF.js's predictor output on one seeded chunk. */
async function parityGap(modelDir: string, model: StemJepa, config: ModelConfig): Promise<number> {
  const sessions = await ModelSessions.load({ modelDir, executionProviders: ['cpu'], thread: 'main' });
  try {
    const logMel = seededValues(sessions.featureSize, 99);
    const ortOut = await sessions.predict(await sessions.encode(logMel, 1), [1], 1);
    const tfOut = tf.tidy(() => {
      const embeddings = model.embedContext(tf.tensor4d(logMel, [1, 1, config.nMels, config.chunkFrames]));
      return model.predict(embeddings, tf.tensor1d([1], 'int32')).dataSync() as Float32Array;
    });
    let gap = 0;
    for (let i = 0; i < ortOut.length; i++) gap = Math.max(gap, Math.abs((ortOut[i] ?? 0) - (tfOut[i] ?? 0)));
    return gap;
  } finally {
    await sessions.close();
  }
}

async function tfjsRates(
  model: StemJepa,
  config: ModelConfig,
  seconds: number,
): Promise<Map<number, Rate | string>> {
  const rates = new Map<number, Rate | string>();
  let secondsPerChunk = 0;
  for (const batch of BATCHES) {
    if (secondsPerChunk * batch > MAX_CALL_SECONDS) {
      rates.set(batch, `skipped (≈${(secondsPerChunk * batch).toFixed(0)} s per call)`);
      continue;
    }
    const logMel = tf.tensor4d(seededValues(batch * config.nMels * config.chunkFrames, batch), [
      batch,
      1,
      config.nMels,
      config.chunkFrames,
    ]);
    const ids = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % config.numInstruments),
      'int32',
    );
    const context = model.embedContext(logMel);
    const encode = async () => {
      const out = model.embedContext(logMel);
      await out.data();
      out.dispose();
    };
    const predict = async () => {
      const out = model.predict(context, ids);
      await out.data();
      out.dispose();
    };
    const rate = {
      encode: batch * (await callsPerSecond(encode, seconds)),
      predict: batch * (await callsPerSecond(predict, seconds)),
    };
    rates.set(batch, rate);
    secondsPerChunk = 1 / both(rate);
    tf.dispose([logMel, ids, context]);
  }
  return rates;
}

export async function inferenceSection(options: {
  modelDir: string;
  manifest: ModelManifest;
  seconds: number;
  log: (line: string) => void;
}): Promise<Table[]> {
  const { modelDir, manifest, seconds, log } = options;
  const config = ModelConfigSchema.parse(manifest.architecture);
  const chunkSeconds = chunkSamples(manifest.frontEnd) / manifest.frontEnd.sampleRate;
  const flops = flopsPerChunk(config);
  const totalFlops = flops.encoder + flops.predictor;
  const peak = peakFlops(cpus().length);

  const ort = new Map<number, Map<number, Rate>>();
  for (const threads of THREADS) {
    log(`inference: onnxruntime-node, ${threads} thread(s)`);
    ort.set(threads, await ortRates(modelDir, threads, seconds));
  }

  // The same network in TF.js: the dev model's weights are rebuilt from its seed; a trained
  // model's architecture is rebuilt with seeded weights (speed does not depend on weight values).
  const isDevModel = manifest.training.status === 'untrained-dev-model';
  const weights = initParams(config, isDevModel ? DEV_MODEL_SEED : 1);
  const backends: TrainingBackendName[] = [
    'cpu',
    'wasm',
    ...(nativeAddonAvailable() ? ['native' as const] : []),
  ];
  const tfjs = new Map<TrainingBackendName, Map<number, Rate | string>>();
  let gap: number | undefined;
  for (const backend of backends) {
    log(`inference: TensorFlow.js '${backend}' backend`);
    await initTrainingBackend({ backend, threads: 2 });
    const model = new StemJepa(config, DEV_MODEL_SEED, weights);
    try {
      if (isDevModel && backend === 'cpu') gap = await parityGap(modelDir, model, config);
      tfjs.set(backend, await tfjsRates(model, config, seconds));
    } finally {
      for (const variable of [...model.online.values(), ...model.target.values()]) variable.dispose();
      model.optimizer.dispose();
    }
  }

  const rows: Cell[][] = [];
  for (const threads of THREADS) {
    for (const batch of BATCHES) {
      const rate = ort.get(threads)?.get(batch);
      if (!rate) continue;
      const achieved = both(rate) * totalFlops;
      rows.push([
        'onnxruntime-node',
        threads,
        batch,
        round(rate.encode),
        round(rate.predict),
        round(both(rate)),
        `${round(both(rate) * chunkSeconds, 0)}×`,
        `${round(achieved / 1e9, 1)} (${round((100 * achieved) / peak.flops, 1)}%)`,
        '1.00',
      ]);
    }
  }
  for (const [backend, rates] of tfjs) {
    // The stock backends run on one thread; the native kernels were given both cores.
    const threads = backend === 'native' ? 2 : 1;
    for (const batch of BATCHES) {
      const rate = rates.get(batch);
      const reference = ort.get(threads)?.get(batch);
      if (rate === undefined || reference === undefined) continue;
      if (typeof rate === 'string') {
        rows.push([`tfjs ${backend}`, threads, batch, rate, '', '', '', '', '']);
        continue;
      }
      const achieved = both(rate) * totalFlops;
      rows.push([
        `tfjs ${backend}`,
        threads,
        batch,
        round(rate.encode),
        round(rate.predict),
        round(both(rate)),
        `${round(both(rate) * chunkSeconds, 0)}×`,
        `${round(achieved / 1e9, 1)} (${round((100 * achieved) / peak.flops, 1)}%)`,
        (both(rate) / both(reference)).toFixed(2),
      ]);
    }
  }
  return [
    {
      title: 'Model throughput: onnxruntime-node vs TensorFlow.js (CPU)',
      columns: [
        'runtime',
        'threads',
        'batch',
        'encoder chunks/s',
        'predictor chunks/s',
        'enc+pred chunks/s',
        '× real time',
        'GFLOP/s (% of peak)',
        'vs onnxruntime',
      ],
      rows,
      notes: [
        `${seconds} s per case after one untimed call; a chunk is ${chunkSeconds} s of audio, "× real time" counts non-overlapping chunks (the service's default 4 s hop costs two chunks per 8 s).`,
        `FLOPs per chunk from the architecture (matrix products): encoder ${round(flops.encoder / 1e6, 0)} M, predictor ${round(flops.predictor / 1e6, 0)} M; ${peak.note}.`,
        '"vs onnxruntime" = enc+pred rate divided by onnxruntime\'s at the same batch and thread count. TF.js cpu/wasm backends run one thread; the project\'s native backend was given 2 threads.',
        isDevModel
          ? `Same weights in both runtimes (dev model rebuilt from seed ${DEV_MODEL_SEED}); largest |onnxruntime − TF.js| predictor output difference on a seeded chunk: ${gap?.toExponential(1) ?? 'n/a'}.`
          : 'Trained model: TF.js runs the same architecture with seeded weights (throughput does not depend on weight values).',
        `TF.js cases whose one call would exceed ${MAX_CALL_SECONDS} s are skipped.`,
      ],
    },
  ];
}
