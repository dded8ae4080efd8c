/**
 * `npm run train -- [--config training/config.json] [--run-dir .cache/runs/shipped] [--out models]
 *   [--max-minutes N] [--backend native|cpu|wasm] [--no-generate] [--no-eval]`
 *
 * The whole pipeline: corpus (generated if missing) → normalisation constants → training with
 * periodic validation, collapse monitors and checkpoints → ONNX export → evaluation, whose metrics
 * land in the exported manifest. Re-running the same command resumes from the last checkpoint;
 * `--max-minutes` stops cleanly (checkpoint written) so long runs can be spread over sessions.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { Command } from 'commander';
import { chunkSamples, type FrontEndConfig } from '../src/audio/frontend-config.js';
import { initTrainingBackend, type TrainingBackendName } from './backend/index.js';
import { defaultCorpusDir, listSongs } from './data/corpus.js';
import { PrefetchingSampler } from './data/prefetch.js';
import { hashSeed } from './data/random.js';
import { batchTargetKeys, ExampleSampler, type TargetKey, type TrainingBatch } from './data/sampler.js';
import { exportModel } from './export/export.js';
import { CHECKPOINT_FILE } from './model/checkpoint.js';
import { type ModelConfig, patchGrid } from './model/config.js';
import { createStemJepa, type StemJepa, type TrainBatch } from './model/stem-jepa.js';
import { excludedNegatives, NegativeQueue } from './run/negative-queue.js';
import { loadOrMeasureNormalisation, measureNormalisation } from './run/normalisation.js';
import { formatDuration, ThroughputMeter } from './run/progress.js';
import { RetrievalTracker } from './run/retrieval-tracker.js';
import {
  baseFrontEnd,
  readTrainConfig,
  runModelConfig,
  type TrainConfig,
  targetLeakAt,
} from './run/train-config.js';
import { validate } from './run/validation.js';

interface CliOptions {
  config: string;
  runDir: string;
  out: string;
  corpus: string;
  maxMinutes?: string;
  backend: TrainingBackendName;
  generate: boolean;
  eval: boolean;
}

const options = new Command()
  .name('train')
  .option('--config <file>', 'hyper-parameter file', 'training/config.json')
  .option(
    '--run-dir <dir>',
    'checkpoints, logs and normalisation of this run',
    join(defaultCacheDir(), 'runs', 'shipped'),
  )
  .option('--out <dir>', 'where the exported model goes', 'models')
  .option('--corpus <dir>', 'corpus directory', defaultCorpusDir())
  .option('--max-minutes <n>', 'stop (with a checkpoint) after this many minutes of training')
  .option('--backend <name>', 'TensorFlow.js backend: native, cpu or wasm', 'native')
  .option('--no-generate', 'do not generate missing corpus songs')
  .option('--no-eval', 'skip the evaluation after export')
  .parse()
  .opts<CliOptions>();

function defaultCacheDir(): string {
  return process.env.STEMDEX_CACHE_DIR ?? resolve('.cache');
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function ensureCorpus(config: TrainConfig): void {
  const have = existsSync(join(options.corpus, 'songs')) ? listSongs(options.corpus).length : 0;
  if (have >= config.corpus.songs || !options.generate) return;
  log(`corpus: ${have}/${config.corpus.songs} songs, generating the rest (resumable)`);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'training/data/cli.ts',
      '--format',
      'v1',
      '--songs',
      String(config.corpus.songs),
      '--out',
      options.corpus,
    ],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error(`corpus generation failed (exit ${result.status})`);
}

function trainSampler(
  config: TrainConfig,
  modelConfig: ModelConfig,
  frontEnd: FrontEndConfig,
  step: number,
): PrefetchingSampler {
  // Re-seeded from the step, so a resumed run does not replay the examples it already saw, and
  // re-created periodically so songs the generator finished meanwhile join the pool. Features are
  // computed on a worker thread while the model trains on the previous batch.
  return new PrefetchingSampler({
    corpusDir: options.corpus,
    split: 'train',
    seed: hashSeed(config.seed, step),
    config: frontEnd,
    batchSize: config.batchSize,
    targetLeak: targetLeakAt(config, step),
    fullContextProbability: config.fullContextProbability,
    teacherColumns: modelConfig.schedule.teacherWeight > 0 ? patchGrid(modelConfig).gridTime : 0,
    teacherTempoBins: modelConfig.schedule.teacherTempoBins,
  });
}

/**
 * The batch with its contrastive candidates: its own targets, then the queued ones, minus
 * near-copies of each positive (and other instruments, when so configured).
 */
function withNegatives(
  config: TrainConfig,
  batch: TrainingBatch,
  keys: TargetKey[],
  queue: NegativeQueue,
  frontEnd: FrontEndConfig,
): TrainBatch {
  return {
    ...batch,
    queuedNegatives: queue.size ? queue.embeddings() : undefined,
    excludedNegatives: excludedNegatives(keys, [...keys, ...queue.entries()], {
      overlapSamples: overlapWindow(frontEnd),
      sameInstrumentOnly: config.contrastiveNegatives === 'same-instrument',
    }),
  };
}

/** Half a chunk: crops of one stem closer than this share most of their audio. */
function overlapWindow(frontEnd: FrontEndConfig): number {
  return Math.round(chunkSamples(frontEnd) / 2);
}

function measureFrontEnd(config: TrainConfig, runDir: string): FrontEndConfig {
  const base = baseFrontEnd(config);
  const normalisation = loadOrMeasureNormalisation(runDir, base.kind, () => {
    const sampler = new ExampleSampler({
      corpusDir: options.corpus,
      split: 'train',
      seed: config.seed,
      config: base,
    });
    const batches: Float32Array[] = [];
    for (let i = 0; i < config.normalisation.batches; i++) {
      const batch = sampler.nextBatch(config.batchSize);
      batches.push(batch.context, batch.target);
    }
    return measureNormalisation(batches, base.kind);
  });
  log(`normalisation: mean ${normalisation.normMean.toFixed(4)} std ${normalisation.normStd.toFixed(4)}`);
  return { ...base, normMean: normalisation.normMean, normStd: normalisation.normStd };
}

function validationBatches(config: TrainConfig, frontEnd: FrontEndConfig): TrainingBatch[] {
  const sampler = new ExampleSampler({
    corpusDir: options.corpus,
    split: 'validation',
    seed: hashSeed(config.seed, 1),
    config: frontEnd,
    fullContextProbability: 1,
  });
  return Array.from({ length: config.validationBatches }, () => sampler.nextBatch(config.batchSize));
}

function trainingDescription(config: TrainConfig, model: StemJepa): Record<string, unknown> {
  return {
    data: {
      corpus: 'stemdex procedural multitrack corpus (training/data), rendered with FluidR3_GM via fluidsynth',
      trainSongs: listSongs(options.corpus, 'train').length,
      validationSongs: listSongs(options.corpus, 'validation').length,
      testSongs: listSongs(options.corpus, 'test').length,
      heldoutStyleSongs: listSongs(options.corpus, 'heldout_style').length,
    },
    hyperParameters: config,
    steps: model.step,
    examplesSeen: model.step * config.batchSize,
  };
}

/** The full evaluation of the exported model; its metrics land in the manifest (`--record`). True when it succeeded. */
function runEvaluation(outDir: string): boolean {
  log('evaluating the exported model (npm run eval)');
  const result = spawnSync(
    process.execPath,
    // --record writes every protocol's metrics into the exported manifest (metrics.chunk, .paper, ...).
    [
      '--import',
      'tsx',
      'training/eval/cli.ts',
      '--model',
      outDir,
      '--corpus',
      options.corpus,
      '--record',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  process.stdout.write(result.stdout);
  if (result.status !== 0) {
    log(`evaluation failed (exit ${result.status}); the model is exported without metrics`);
    return false;
  }
  return true;
}

async function main(): Promise<void> {
  const config = readTrainConfig(options.config);
  const runDir = resolve(options.runDir);
  const checkpointDir = join(runDir, 'checkpoint');
  mkdirSync(runDir, { recursive: true });
  ensureCorpus(config);
  const trainSongs = listSongs(options.corpus, 'train').length;
  if (trainSongs < config.corpus.minTrainSongs) {
    throw new Error(`only ${trainSongs} training songs; at least ${config.corpus.minTrainSongs} are needed`);
  }

  const backend = await initTrainingBackend({ backend: options.backend });
  log(`backend ${backend.backend} (native kernels: ${backend.nativeKernels.join(', ') || 'none'})`);
  const frontEnd = measureFrontEnd(config, runDir);
  const modelConfig = runModelConfig(config);
  const model = createStemJepa(modelConfig, config.seed);
  if (existsSync(join(checkpointDir, CHECKPOINT_FILE))) {
    model.loadCheckpoint(checkpointDir);
    log(`resumed from ${checkpointDir} at step ${model.step}`);
  }
  const validation = validationBatches(config, frontEnd);
  const totalSteps = modelConfig.schedule.totalSteps;
  const deadline = options.maxMinutes
    ? Date.now() + Number(options.maxMinutes) * 60_000
    : Number.POSITIVE_INFINITY;
  const metricsLog = join(runDir, 'progress.jsonl');
  const meter = new ThroughputMeter();
  let sampler = trainSampler(config, modelConfig, frontEnd, model.step);
  // Not checkpointed: after a resume it refills within capacity / batchSize steps.
  const queue = new NegativeQueue(config.contrastiveQueue, model.contrastiveWidth);
  const tracker = new RetrievalTracker({
    runDir,
    corpusDir: options.corpus,
    every: config.quickEval.every,
    songs: config.quickEval.songs,
    log,
  });
  let lastCheckpoint = Date.now();
  let stopRequested = false;
  const requestStop = (signal: string) => {
    if (stopRequested) return;
    log(`${signal}: finishing this step, then writing a checkpoint`);
    stopRequested = true;
  };
  // Handled every time, not once: a wrapper (npm, npx, a shell) often forwards the signal it got
  // itself, and a second signal left to Node's default would kill the run before its checkpoint.
  process.on('SIGINT', requestStop).on('SIGTERM', requestStop);

  while (model.step < totalSteps && Date.now() < deadline && !stopRequested) {
    // A prefetched batch resolves as a microtask, which never lets the event loop run: without
    // this turn, signal handlers (and so a clean stop with a checkpoint) waited for the next
    // validation, where the sampler is re-created.
    await setImmediate();
    const batch = await sampler.nextBatch();
    const keys = batchTargetKeys(batch);
    const loss = model.trainStep(withNegatives(config, batch, keys, queue, frontEnd));
    queue.push(model.lastTargetEmbeddings!, keys);
    meter.record(config.batchSize);
    const stats = model.lastStats!;
    if (!Number.isFinite(loss))
      throw new Error(`loss is ${loss} at step ${stats.step}: stopping (last checkpoint kept)`);
    if (model.step % config.logEvery === 0) {
      const rate = meter.examplesPerSecond();
      const eta = ((totalSteps - model.step) * config.batchSize) / rate;
      log(
        `step ${model.step}/${totalSteps} loss ${loss.toFixed(4)} nce ${stats.contrastiveLoss.toFixed(3)} teacher ${stats.teacherLoss.toFixed(4)} lr ${stats.learningRate.toExponential(2)} ` +
          `ema ${stats.emaMomentum.toFixed(4)} std ${stats.contextStd.toFixed(3)}/${stats.targetStd.toFixed(3)} ` +
          `rank ${stats.contextEffectiveRank.toFixed(1)} | ${Number.isFinite(rate) ? rate.toFixed(1) : '?'} ex/s | ETA ${formatDuration(eta)}`,
      );
      appendFileSync(metricsLog, `${JSON.stringify({ kind: 'train', ...stats, examplesPerSecond: rate })}\n`);
    }
    if (model.step % config.validateEvery === 0) {
      const result = validate(model, validation);
      log(
        `validation step ${model.step} (target leak now ${targetLeakAt(config, model.step).toFixed(2)}): loss ${result.loss.toFixed(4)} R@1 ${(100 * result.recallAt1).toFixed(1)} % ` +
          `(chance ${(100 * result.chanceRecallAt1).toFixed(1)} %) std ${result.contextStd.toFixed(3)}/` +
          `${result.targetStd.toFixed(3)} rank ${result.contextEffectiveRank.toFixed(1)}`,
      );
      if (result.contextStd < 1e-3)
        log('WARNING: embedding std near zero across the batch: representation collapse');
      appendFileSync(metricsLog, `${JSON.stringify({ kind: 'validation', step: model.step, ...result })}\n`);
      await sampler.close();
      sampler = trainSampler(config, modelConfig, frontEnd, model.step);
      meter.reset();
    }
    if (tracker.due(model.step)) {
      const quick = tracker.evaluate(
        model.step,
        (dir) =>
          exportModel(
            model.exportWeights(config.exportEncoder),
            modelConfig,
            dir,
            trainingDescription(config, model),
            {
              frontEnd,
              exportedEncoder: config.exportEncoder,
            },
          ),
        (dir) => model.saveCheckpoint(dir),
      );
      if (quick) {
        log(
          `quick eval step ${model.step} (${quick.seconds} s): chunk R@1 ${(100 * quick.chunkRecallAt1).toFixed(1)} %, ` +
            `product R@1 ${(100 * quick.productRecallAt1).toFixed(1)} % R@10 ${(100 * quick.productRecallAt10).toFixed(1)} %, ` +
            `offset ≤ 0.1 s ${(100 * quick.offsetWithin01s).toFixed(1)} %, score ${quick.score.toFixed(4)}${quick.improved ? ' (best so far: checkpoint kept)' : ''}`,
        );
        appendFileSync(metricsLog, `${JSON.stringify({ kind: 'quick_eval', ...quick })}\n`);
      }
      meter.reset();
    }
    if (Date.now() - lastCheckpoint > config.checkpointEveryMinutes * 60_000) {
      model.saveCheckpoint(checkpointDir);
      lastCheckpoint = Date.now();
      log(`checkpoint at step ${model.step}`);
    }
  }
  await sampler.close();
  model.saveCheckpoint(checkpointDir);
  log(`checkpoint at step ${model.step}`);
  if (model.step < totalSteps) {
    log(`stopped at step ${model.step}/${totalSteps}; run the same command again to resume`);
    return;
  }

  if (config.quickEval.exportBest && tracker.bestStep !== null && tracker.bestStep !== model.step) {
    model.loadCheckpoint(tracker.bestDir);
    log(`exporting the best checkpoint by quick evaluation (step ${tracker.bestStep}), not the last`);
  }
  const training = trainingDescription(config, model);
  const manifest = exportModel(
    model.exportWeights(config.exportEncoder),
    modelConfig,
    options.out,
    training,
    {
      frontEnd,
      exportedEncoder: config.exportEncoder,
    },
  );
  log(`exported ${manifest.name} to ${options.out}`);
  if (!options.eval) return;
  if (runEvaluation(options.out)) log(`metrics recorded in ${join(options.out, 'manifest.json')}`);
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
