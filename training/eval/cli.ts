import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { defaultCorpusDir } from '../data/corpus.js';
import { QUICK_SONGS, quickRunOptions } from './quick.js';
import { recordInManifest } from './record.js';
import { renderMarkdown } from './report.js';
import { PROTOCOLS, type Protocol, type RunOptions, runEvaluation } from './run.js';
import { EVAL_SPLITS, type EvalSplit } from './splits.js';
import type { GalleryScope } from './types.js';

/**
 * `npm run eval -- [--model dir] [--corpus dir] [--splits a,b] [--protocols a,b] [--quick] [--json]`
 *
 * Runs the chunk, paper, product and K-way protocols on every split present and prints the report
 * as Markdown tables on stdout (progress goes to stderr); with `--json` the report object follows
 * as the last stdout line. Also writes `<out>/eval.json`, `<out>/eval.md` and the temporal-alignment
 * plot (`--quick`: `<out>/eval-quick.json` and `.md` only).
 */

const REPO_ROOT = resolve(import.meta.dirname, '../..');

function split(value: string): EvalSplit {
  if (!(EVAL_SPLITS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`one of ${EVAL_SPLITS.join(', ')}`);
  return value as EvalSplit;
}

function list<T extends string>(allowed: readonly T[]) {
  return (value: string): T[] => {
    const items = value.split(',').map((item) => item.trim());
    for (const item of items) {
      if (!(allowed as readonly string[]).includes(item))
        throw new InvalidArgumentError(`'${item}' is not one of ${allowed.join(', ')}`);
    }
    return items as T[];
  };
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
  realSongsCache?: string;
  split: EvalSplit;
  splits: EvalSplit[];
  protocols: Protocol[];
  maxSongs?: number;
  protocolSongs?: number;
  galleryScope: GalleryScope;
  probeSplit: string;
  probeSongs: number;
  out: string;
  plot?: string;
  batchSize: number;
  threads: number;
  featureWorkers: number;
  seed: number;
  quick?: boolean;
  json?: boolean;
  record?: boolean;
}

/** Default protocol subset: 30 songs per split give the paper protocol a gallery of ~150 stems (MUSDB18's test set: 200). */
export const DEFAULT_PROTOCOL_SONGS = 30;

const program = new Command()
  .name('eval')
  .description(
    'Stem retrieval: chunk, paper, product and K-way protocols on every split, with baselines and probes.',
  )
  .option(
    '--model <dir>',
    'exported model folder (manifest.json + ONNX graphs)',
    resolve(REPO_ROOT, 'models'),
  )
  .option('--corpus <dir>', 'corpus folder', defaultCorpusDir())
  .option(
    '--real-songs-cache <dir>',
    'where the rendered real songs are cached (default <corpus>/../real-songs)',
  )
  .option(
    '--split <split>',
    'split whose chunk protocol carries alignment, probes and targets',
    split,
    'test' as EvalSplit,
  )
  .option('--splits <list>', `splits to evaluate (${EVAL_SPLITS.join(',')})`, list(EVAL_SPLITS), [
    ...EVAL_SPLITS,
  ])
  .option(
    '--protocols <list>',
    `protocols to run (${PROTOCOLS.join(',')}; the chunk protocol always runs on --split)`,
    list(PROTOCOLS),
    [...PROTOCOLS],
  )
  .option('--max-songs <n>', 'songs per split in the chunk protocol, evenly spaced (default: all)', count)
  .option(
    '--protocol-songs <n>',
    `songs per split in the paper, product and K-way protocols, evenly spaced (default ${DEFAULT_PROTOCOL_SONGS})`,
    count,
    DEFAULT_PROTOCOL_SONGS,
  )
  .option(
    '--gallery-scope <scope>',
    "chunk protocol: 'instrument' ranks among chunks of the query's instrument; 'all' among every stem chunk",
    galleryScope,
    'instrument' as GalleryScope,
  )
  .option('--probe-split <split>', 'split the linear probes are trained on', 'train')
  .option('--probe-songs <n>', 'songs the probes are trained on (0 = no probes)', count, 200)
  .option('--out <dir>', 'folder for the reports and alignment.png', resolve(REPO_ROOT, 'reports'))
  .option('--plot <file>', 'alignment plot path (default <out>/alignment.png)')
  .option('--batch-size <n>', 'chunks per onnxruntime call', count, 16)
  .option('--threads <n>', 'onnxruntime intra-op threads', count, 2)
  .option(
    '--feature-workers <n>',
    'worker threads computing spectrograms ahead of the model (0 = none)',
    count,
    1,
  )
  .option('--seed <n>', 'seed of the random ranker and the random query windows', count, 0)
  .option(
    '--quick',
    `fast check: ${QUICK_SONGS} (or --max-songs) fixed validation songs, chunk + product protocols, no probes (<out>/eval-quick.*)`,
  )
  .option('--json', 'print the report as one JSON object on the last line')
  .option(
    '--record',
    "write every protocol's metrics into the model's manifest.json (metrics.chunk/paper/product/kway)",
  );

async function main(options: CliOptions): Promise<void> {
  const corpusDir = resolve(options.corpus);
  const common = {
    modelDir: resolve(options.model),
    corpusDir,
    realSongsCacheDir: options.realSongsCache
      ? resolve(options.realSongsCache)
      : join(corpusDir, '..', 'real-songs'),
    outDir: resolve(options.out),
    threads: Math.max(1, options.threads),
    featureWorkers: options.featureWorkers,
    seed: options.seed,
    onProgress: (message: string) => process.stderr.write(`${message}\n`),
  };
  const runOptions: RunOptions = options.quick
    ? quickRunOptions({ ...common, songs: options.maxSongs })
    : {
        ...common,
        split: options.split,
        splits: options.splits.includes(options.split) ? options.splits : [options.split, ...options.splits],
        protocols: options.protocols,
        maxSongs: options.maxSongs,
        protocolSongs: options.protocolSongs,
        galleryScope: options.galleryScope,
        probeSplit: options.probeSplit,
        probeSongs: options.probeSongs,
        plotPath: options.plot ? resolve(options.plot) : undefined,
        batchSize: Math.max(1, options.batchSize),
      };
  const report = await runEvaluation(runOptions);
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
