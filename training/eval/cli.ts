import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { defaultCorpusDir, SPLITS, type Split } from '../data/corpus.js';
import { recordInManifest } from './record.js';
import { renderMarkdown } from './report.js';
import { runEvaluation } from './run.js';
import type { GalleryScope } from './types.js';

/**
 * `npm run eval -- [--model dir] [--corpus dir] [--split test] [--max-songs N] [--json]`
 *
 * Prints the report as Markdown tables on stdout (progress goes to stderr); with `--json` the
 * report object follows as the last stdout line. Also writes `<out>/eval.json`, `<out>/eval.md`
 * and the temporal-alignment plot.
 */

const REPO_ROOT = resolve(import.meta.dirname, '../..');

function split(value: string): Split {
  if (!(SPLITS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`one of ${SPLITS.join(', ')}`);
  return value as Split;
}

function optionalSplit(value: string): Split | null {
  return value === 'none' ? null : split(value);
}

function galleryScope(value: string): GalleryScope {
  if (value !== 'instrument' && value !== 'all') throw new InvalidArgumentError("'instrument' or 'all'");
  return value;
}

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return parsed;
}

interface CliOptions {
  model: string;
  corpus: string;
  split: Split;
  heldoutSplit: Split | null;
  maxSongs?: number;
  galleryScope: GalleryScope;
  probeSplit: Split;
  probeSongs: number;
  out: string;
  plot?: string;
  batchSize: number;
  threads: number;
  featureWorkers: number;
  seed: number;
  json?: boolean;
  record?: boolean;
}

const program = new Command()
  .name('eval')
  .description(
    "Stem-JEPA missing-stem retrieval (the paper's protocol), baselines, temporal alignment and probes.",
  )
  .option(
    '--model <dir>',
    'exported model folder (manifest.json + ONNX graphs)',
    resolve(REPO_ROOT, 'models'),
  )
  .option('--corpus <dir>', 'corpus folder', defaultCorpusDir())
  .option('--split <split>', 'split to evaluate', split, 'test' as Split)
  .option(
    '--heldout-split <split>',
    "second split evaluated the same way, or 'none'",
    optionalSplit,
    'heldout_style',
  )
  .option('--max-songs <n>', 'songs per evaluated split, evenly spaced (default: all)', count)
  .option(
    '--gallery-scope <scope>',
    "'instrument': rank among chunks of the query's instrument (paper); 'all': among every stem chunk",
    galleryScope,
    'instrument' as GalleryScope,
  )
  .option('--probe-split <split>', 'split the linear probes are trained on', split, 'train' as Split)
  .option('--probe-songs <n>', 'songs the probes are trained on (0 = no probes)', count, 200)
  .option('--out <dir>', 'folder for eval.json, eval.md and alignment.png', resolve(REPO_ROOT, 'reports'))
  .option('--plot <file>', 'alignment plot path (default <out>/alignment.png)')
  .option('--batch-size <n>', 'chunks per onnxruntime call', count, 16)
  .option('--threads <n>', 'onnxruntime intra-op threads', count, 2)
  .option(
    '--feature-workers <n>',
    'worker threads computing spectrograms ahead of the model (0 = none)',
    count,
    1,
  )
  .option('--seed <n>', 'seed of the random baseline', count, 0)
  .option('--json', 'print the report as one JSON object on the last line')
  .option('--record', "write the headline metrics into the model's manifest.json (metrics.eval)");

async function main(options: CliOptions): Promise<void> {
  const report = await runEvaluation({
    modelDir: resolve(options.model),
    corpusDir: resolve(options.corpus),
    split: options.split,
    heldoutSplit: options.heldoutSplit === options.split ? null : options.heldoutSplit,
    maxSongs: options.maxSongs,
    galleryScope: options.galleryScope,
    probeSplit: options.probeSplit,
    probeSongs: options.probeSongs,
    outDir: resolve(options.out),
    plotPath: options.plot ? resolve(options.plot) : undefined,
    batchSize: Math.max(1, options.batchSize),
    threads: Math.max(1, options.threads),
    featureWorkers: options.featureWorkers,
    seed: options.seed,
    onProgress: (message) => process.stderr.write(`${message}\n`),
  });
  if (options.record) {
    recordInManifest(resolve(options.model), report);
    process.stderr.write(`recorded metrics in ${resolve(options.model, 'manifest.json')}\n`);
  }
  process.stdout.write(renderMarkdown(report));
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
}

program.parse();
main(program.opts<CliOptions>()).catch((error: unknown) => {
  const code = (error as { code?: unknown }).code;
  process.stderr.write(
    `eval failed${typeof code === 'string' ? ` [${code}]` : ''}: ${(error as Error).message ?? error}\n`,
  );
  process.exitCode = 1;
});
