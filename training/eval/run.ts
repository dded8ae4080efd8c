import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Split } from '../data/corpus.js';
import { corpusSongSource } from './corpus-source.js';
import { ChunkEmbedder } from './embed.js';
import { EmptySplitError } from './errors.js';
import { evaluateSplit } from './evaluate.js';
import { FrontEndFeaturizer } from './features.js';
import { collectMixEmbeddings } from './mix-embeddings.js';
import { renderLinePlot } from './plot.js';
import { runProbeTasks } from './probe-tasks.js';
import { alignmentSummary, type EvalReport, renderMarkdown, summariseSplit, targetChecks } from './report.js';
import type { GalleryScope, SplitRun } from './types.js';

export interface RunOptions {
  modelDir: string;
  corpusDir: string;
  split: Split;
  /** Second split evaluated the same way (the held-out style); null skips it. */
  heldoutSplit: Split | null;
  /** Songs per evaluated split (evenly spaced); all when absent. */
  maxSongs?: number;
  galleryScope?: GalleryScope;
  probeSplit: Split;
  /** Songs of `probeSplit` the probes are trained on; 0 skips the probes. */
  probeSongs: number;
  /** Where eval.json, eval.md and the alignment plot go. */
  outDir: string;
  plotPath?: string;
  batchSize?: number;
  threads?: number;
  /** Worker threads computing spectrograms ahead of the model (0 = on the main thread). */
  featureWorkers?: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

/** Runs the whole evaluation, writes `eval.json`, `eval.md` and the alignment PNG, returns the report. */
export async function runEvaluation(options: RunOptions): Promise<EvalReport> {
  const progress = options.onProgress ?? (() => {});
  const started = performance.now();
  const timing: Record<string, number> = {};
  const lap = (name: string, since: number) => {
    timing[`${name}_seconds`] = Math.round((performance.now() - since) / 100) / 10;
  };

  const closers: (() => Promise<void>)[] = [];
  const embedder = await ChunkEmbedder.load(options.modelDir, {
    batchSize: options.batchSize,
    threads: options.threads,
  });
  try {
    const { frontEnd } = embedder.manifest;
    const featurizer = new FrontEndFeaturizer(frontEnd, { workers: options.featureWorkers ?? 1 });
    closers.push(() => featurizer.close());
    const evaluate = async (split: Split): Promise<SplitRun> => {
      const since = performance.now();
      const source = corpusSongSource(options.corpusDir, split, frontEnd.sampleRate, options.maxSongs);
      if (source.ids.length === 0) throw new EmptySplitError(options.corpusDir, split);
      progress(`evaluating ${split}: ${source.ids.length} songs`);
      const run = await evaluateSplit(source, embedder, featurizer, {
        split,
        seed: options.seed,
        galleryScope: options.galleryScope,
        onProgress: progress,
      });
      lap(split, since);
      timing[`${split}_songs_per_minute`] =
        Math.round((run.evaluation.songs / ((performance.now() - since) / 60_000)) * 10) / 10;
      return run;
    };

    const test = await evaluate(options.split);
    const heldout = options.heldoutSplit ? await evaluate(options.heldoutSplit) : null;

    let probes: EvalReport['probes'] = null;
    if (options.probeSongs > 0) {
      const since = performance.now();
      const source = corpusSongSource(
        options.corpusDir,
        options.probeSplit,
        frontEnd.sampleRate,
        options.probeSongs,
      );
      progress(`probes: embedding ${source.ids.length} ${options.probeSplit} songs`);
      const train = await collectMixEmbeddings(source, embedder, featurizer, progress);
      if (train.length > 0 && test.mixes.length > 0) {
        probes = {
          ...runProbeTasks(train, test.mixes),
          train_split: options.probeSplit,
          train_chunks: train.length,
          test_chunks: test.mixes.length,
        };
      } else {
        progress(`probes skipped: no audible ${options.probeSplit} mix chunks`);
      }
      lap('probes', since);
    }

    const plotPath = options.plotPath ?? join(options.outDir, 'alignment.png');
    writeAlignmentPlot(test, plotPath, embedder.manifest.name);
    const { alignment, alignment_control, ...scores } = test.evaluation;
    const alignmentReport = alignmentSummary(alignment, alignment_control, relative(process.cwd(), plotPath));
    timing.total_seconds = Math.round((performance.now() - started) / 100) / 10;
    const report: EvalReport = {
      created_at: new Date().toISOString(),
      model: {
        dir: options.modelDir,
        name: embedder.manifest.name,
        version: embedder.manifest.version,
        embedding_dim: embedder.manifest.embeddingDim,
        encoder_sha256: embedder.manifest.graphs.encoder.sha256,
        training_status:
          typeof embedder.manifest.training.status === 'string' ? embedder.manifest.training.status : null,
      },
      corpus: options.corpusDir,
      ...scores,
      heldout_style: heldout ? summariseSplit(heldout.evaluation) : null,
      alignment: alignmentReport,
      probes,
      targets: targetChecks(test.evaluation, heldout?.evaluation ?? null, alignmentReport.peak_at_zero),
      timing,
    };
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, 'eval.json'), `${JSON.stringify(report, null, 1)}\n`);
    writeFileSync(join(options.outDir, 'eval.md'), renderMarkdown(report));
    return report;
  } finally {
    for (const close of closers) await close();
    await embedder.close();
  }
}

function writeAlignmentPlot(run: SplitRun, path: string, modelName: string): void {
  const { alignment, alignment_control: control, split } = run.evaluation;
  mkdirSync(dirname(path), { recursive: true });
  const png = renderLinePlot({
    title: `temporal alignment: ${modelName}, ${split}, ${alignment.pairs} pairs`,
    xLabel: 'target time shift (s)',
    yLabel: 'mean cosine (predicted, target)',
    series: [
      {
        label: 'predicted vs true target',
        x: alignment.shiftSeconds,
        y: alignment.meanCosine,
        color: [31, 119, 180],
      },
      {
        label: 'control: target of another song',
        x: control.shiftSeconds,
        y: control.meanCosine,
        color: [255, 127, 14],
      },
    ],
    verticalGuides: [0],
  });
  writeFileSync(path, png);
}
