import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { corpusSongSource } from './corpus-source.js';
import { ChunkEmbedder } from './embed.js';
import { EmptySplitError } from './errors.js';
import { evaluateSplit } from './evaluate.js';
import { FrontEndFeaturizer } from './features.js';
import { evaluateKway } from './kway.js';
import { collectMixEmbeddings } from './mix-embeddings.js';
import { evaluatePaperProtocol } from './paper.js';
import { renderLinePlot } from './plot.js';
import { runProbeTasks } from './probe-tasks.js';
import {
  BaselineChunkRanker,
  type ChunkRanker,
  evaluateProductProtocol,
  ServiceModelRanker,
} from './product.js';
import {
  alignmentSummary,
  type EvalReport,
  type ProtocolsReport,
  renderMarkdown,
  summariseSplit,
  targetChecks,
} from './report.js';
import { EmptyQuerySetError } from './retrieval.js';
import { ChromaSignalRanker, ModelSignalRanker } from './signal-rankers.js';
import { EVAL_SPLITS, type EvalSplit, openSplit } from './splits.js';
import type { GalleryScope, SplitRun } from './types.js';

export const PROTOCOLS = ['chunk', 'paper', 'product', 'kway'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface RunOptions {
  modelDir: string;
  corpusDir: string;
  /** Where the rendered real songs are cached. */
  realSongsCacheDir: string;
  /** The split whose chunk-protocol run carries the alignment curve, the probes and the targets. */
  split: EvalSplit;
  /** Splits evaluated (default: all of `EVAL_SPLITS`); absent ones are reported as absent. */
  splits?: readonly EvalSplit[];
  protocols?: readonly Protocol[];
  /** Songs per split in the chunk protocol (evenly spaced); all when absent. */
  maxSongs?: number;
  /** Songs per split in the paper, product and K-way protocols (evenly spaced); all when absent. */
  protocolSongs?: number;
  galleryScope?: GalleryScope;
  probeSplit: string;
  /** Songs of `probeSplit` the probes are trained on; 0 skips the probes. */
  probeSongs: number;
  /** Where the reports go. */
  outDir: string;
  /** Report file names without extension (default `eval`: eval.json, eval.md). */
  reportName?: string;
  /** Alignment plot path; null skips the plot. */
  plotPath?: string | null;
  batchSize?: number;
  threads?: number;
  /** Worker threads computing spectrograms ahead of the model (0 = on the main thread). */
  featureWorkers?: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

/** Runs every protocol on every split, writes `<name>.json`, `<name>.md` and the alignment PNG, returns the report. */
export async function runEvaluation(options: RunOptions): Promise<EvalReport> {
  const progress = options.onProgress ?? (() => {});
  const started = performance.now();
  const timing: Record<string, number> = {};
  const lap = (name: string, since: number) => {
    timing[`${name}_seconds`] = Math.round((performance.now() - since) / 100) / 10;
  };
  const splits = options.splits ?? EVAL_SPLITS;
  const protocols = new Set(options.protocols ?? PROTOCOLS);
  const seed = options.seed ?? 0;

  const closers: (() => Promise<void>)[] = [];
  const embedder = await ChunkEmbedder.load(options.modelDir, {
    batchSize: options.batchSize,
    threads: options.threads,
  });
  closers.push(() => embedder.close());
  try {
    const { frontEnd } = embedder.manifest;
    const featurizer = new FrontEndFeaturizer(frontEnd, { workers: options.featureWorkers ?? 1 });
    closers.push(() => featurizer.close());
    const signalRankers = {
      model: new ModelSignalRanker(embedder, featurizer),
      chroma_onset: new ChromaSignalRanker(featurizer),
    };
    let chunkRankers: Record<'model' | 'chroma_onset', ChunkRanker> | null = null;
    const productRankers = async () => {
      if (!chunkRankers) {
        const model = await ServiceModelRanker.load(options.modelDir, {
          threads: options.threads ?? 2,
          audioWorkers: Math.max(1, options.featureWorkers ?? 1),
        });
        closers.unshift(() => model.close());
        chunkRankers = {
          model,
          chroma_onset: new BaselineChunkRanker(frontEnd, model.geometry, loadConfig({}).chunkHopSeconds),
        };
      }
      return chunkRankers;
    };
    const sources = {
      corpusDir: options.corpusDir,
      realSongsCacheDir: options.realSongsCacheDir,
      sampleRate: frontEnd.sampleRate,
    };

    const report: ProtocolsReport = { splits: {}, chunk: {}, paper: {}, product: {}, kway: {} };
    let primary: SplitRun | null = null;
    let heldout: SplitRun | null = null;
    for (const split of splits) {
      const full = openSplit(split, sources, options.maxSongs);
      if ('absent' in full) {
        report.splits[split] = { present: false, reason: full.absent };
        progress(`${split}: absent (${full.absent})`);
        continue;
      }
      report.splits[split] = { present: true, songs: full.source.ids.length };
      // The primary split's chunk protocol carries the alignment curve, the probes and the targets.
      if (protocols.has('chunk') || split === options.split) {
        const since = performance.now();
        progress(`chunk protocol, ${split}: ${full.source.ids.length} songs`);
        const run = await evaluateSplit(full.source, embedder, featurizer, {
          split,
          seed,
          galleryScope: options.galleryScope,
          onProgress: progress,
        });
        report.chunk[split] = summariseSplit(run.evaluation);
        if (split === options.split) primary = run;
        if (split === 'heldout_style') heldout = run;
        lap(`chunk_${split}`, since);
      }
      const subset = openSplit(split, sources, options.protocolSongs);
      if ('absent' in subset) continue;
      const { source } = subset;
      const guard = async <T>(
        name: string,
        songs: number,
        body: () => Promise<T>,
      ): Promise<T | undefined> => {
        const since = performance.now();
        progress(`${name} protocol, ${split}: ${songs} songs`);
        try {
          return await body();
        } catch (error) {
          // A split too small for a protocol (e.g. one instrument in one song) has no queries: say so.
          if (error instanceof EmptyQuerySetError) {
            progress(`${name} protocol, ${split}: no queries`);
            return undefined;
          }
          throw error;
        } finally {
          lap(`${name}_${split}`, since);
        }
      };
      const chunkLength = featurizer.chunkLength;
      if (protocols.has('paper')) {
        report.paper[split] = await guard('paper', source.ids.length, () =>
          evaluatePaperProtocol(source, signalRankers, { split, chunkLength, seed, onProgress: progress }),
        );
      }
      if (protocols.has('product')) {
        const rankers = await productRankers();
        report.product[split] = await guard('product', source.ids.length, () =>
          evaluateProductProtocol(source, rankers, {
            split,
            sampleRate: frontEnd.sampleRate,
            hopSeconds: loadConfig({}).chunkHopSeconds,
            seed,
            onProgress: progress,
          }),
        );
      }
      if (protocols.has('kway')) {
        // On every song of the split (it is cheap): K = 64 needs 64 other songs with the instrument.
        report.kway[split] = await guard('kway', full.source.ids.length, () =>
          evaluateKway(full.source, signalRankers, {
            split,
            sampleRate: frontEnd.sampleRate,
            chunkLength,
            seed,
            onProgress: progress,
          }),
        );
      }
    }
    if (!primary) {
      throw new EmptySplitError(
        options.corpusDir,
        `${options.split} (the chunk protocol must run on the primary split; pass --split or add it to --splits)`,
      );
    }

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
      if (train.length > 0 && primary.mixes.length > 0) {
        probes = {
          ...runProbeTasks(train, primary.mixes),
          train_split: options.probeSplit,
          train_chunks: train.length,
          test_chunks: primary.mixes.length,
        };
      } else {
        progress(`probes skipped: no audible ${options.probeSplit} mix chunks`);
      }
      lap('probes', since);
    }

    const name = options.reportName ?? 'eval';
    const plotPath =
      options.plotPath === undefined ? join(options.outDir, 'alignment.png') : options.plotPath;
    if (plotPath) writeAlignmentPlot(primary, plotPath, embedder.manifest.name);
    const { alignment, alignment_control, ...scores } = primary.evaluation;
    const alignmentReport = alignmentSummary(
      alignment,
      alignment_control,
      plotPath ? relative(process.cwd(), plotPath) : '',
    );
    timing.total_seconds = Math.round((performance.now() - started) / 100) / 10;
    const result: EvalReport = {
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
      heldout_style: heldout && heldout !== primary ? summariseSplit(heldout.evaluation) : null,
      alignment: alignmentReport,
      probes,
      targets: targetChecks(
        primary.evaluation,
        heldout && heldout !== primary ? heldout.evaluation : null,
        alignmentReport.peak_at_zero,
      ),
      protocols: report,
      timing,
    };
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, `${name}.json`), `${JSON.stringify(result, null, 1)}\n`);
    writeFileSync(join(options.outDir, `${name}.md`), renderMarkdown(result));
    return result;
  } finally {
    for (const close of closers) await close();
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
