import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { DEFAULT_FRONT_END } from '../../src/audio/frontend-config.js';
import { CachedExampleSampler } from './cached-sampler.js';
import { defaultCorpusDir, defaultCorpusV2Dir, listSongs, SPLITS, type Split } from './corpus.js';
import { cacheableFrontEnd, hasCachedFeatures } from './feature-cache.js';
import { measureMixError, NATS_TO_DB } from './feature-mix-error.js';
import { PrefetchingSampler } from './prefetch.js';
import { ExampleSampler } from './sampler.js';

/**
 * `npm run bench:sampler`: how fast the samplers feed training, back to back on one machine.
 * - the audio sampler (ExampleSampler: crop + mix + two log-mels per example) on `--corpus`:
 *   raw examples/s, log-mel examples/s on the calling thread, and from the prefetching worker;
 * - the feature-cache sampler (CachedExampleSampler: read + add) on `--cached-corpus`, on the
 *   calling thread (one core), and the error of its feature-domain mixes against exact mixes.
 */

const options = new Command()
  .option('--corpus <dir>', 'corpus for the audio sampler', defaultCorpusDir())
  .option('--cached-corpus <dir>', 'corpus v2 with a feature cache', defaultCorpusV2Dir())
  .option('--split <split>', `audio sampler's split: ${SPLITS.join(' | ')}`, 'train')
  .option('--cached-split <split>', 'feature-cache sampler split (train | validation)', 'train')
  .option('--batch <n>', 'batch size', '16')
  .option('--batches <n>', 'batches to time (audio sampler)', '8')
  .option('--cached-batches <n>', 'batches to time (feature-cache sampler)', '80')
  .option('--resident <n>', 'songs resident in the feature-cache sampler (default 64)', '64')
  .option('--error-crops <n>', 'crops for the feature-domain mix error (0: skip)', '20')
  .parse()
  .opts<{
    corpus: string;
    cachedCorpus: string;
    split: Split;
    cachedSplit: Split;
    batch: string;
    batches: string;
    cachedBatches: string;
    errorCrops: string;
    resident: string;
  }>();

const batchSize = Number(options.batch);
const batches = Number(options.batches);

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

async function benchAudioSampler(): Promise<void> {
  let start = performance.now();
  const sampler = new ExampleSampler({ corpusDir: options.corpus, split: options.split, seed: 1 });
  console.log(
    `audio sampler: ${sampler.songIds.length} songs in ${options.split} of ${options.corpus}; resident pool loaded in ${seconds(start).toFixed(2)} s`,
  );
  start = performance.now();
  const rawCount = batchSize * batches;
  for (let i = 0; i < rawCount; i++) sampler.sampleExample();
  console.log(
    `  raw examples (crop + mix, no features): ${(rawCount / seconds(start)).toFixed(1)} examples/s`,
  );
  start = performance.now();
  for (let i = 0; i < batches; i++) sampler.nextBatch(batchSize);
  console.log(
    `  log-mel batches on this thread: ${((batches * batchSize) / seconds(start)).toFixed(1)} examples/s (batch ${batchSize})`,
  );
  const prefetcher = new PrefetchingSampler({
    corpusDir: options.corpus,
    split: options.split,
    seed: 1,
    batchSize,
  });
  await prefetcher.nextBatch(); // start-up and pool loading are not part of the steady rate
  start = performance.now();
  for (let i = 0; i < batches; i++) await prefetcher.nextBatch();
  console.log(
    `  log-mel batches from the prefetching worker: ${((batches * batchSize) / seconds(start)).toFixed(1)} examples/s`,
  );
  await prefetcher.close();
}

function benchCachedSampler(): void {
  const frontEnd = cacheableFrontEnd(DEFAULT_FRONT_END);
  const songIds = listSongs(options.cachedCorpus, options.cachedSplit).filter((id) =>
    hasCachedFeatures(options.cachedCorpus, frontEnd, id),
  );
  let start = performance.now();
  const sampler = new CachedExampleSampler({
    corpusDir: options.cachedCorpus,
    split: options.cachedSplit,
    seed: 1,
    songIds,
  });
  console.log(
    `feature-cache sampler: ${songIds.length} cached songs in ${options.cachedSplit} of ${options.cachedCorpus} (${frontEnd.key}); resident pool loaded in ${seconds(start).toFixed(2)} s`,
  );
  const cachedBatches = Number(options.cachedBatches);
  sampler.nextBatch(batchSize); // warm-up (JIT)
  start = performance.now();
  for (let i = 0; i < cachedBatches; i++) sampler.nextBatch(batchSize);
  console.log(
    `  log-mel batches on this thread (one core, pool swaps included): ${((cachedBatches * batchSize) / seconds(start)).toFixed(1)} examples/s (batch ${batchSize})`,
  );
  const crops = Number(options.errorCrops);
  if (crops > 0) {
    const report = measureMixError(options.cachedCorpus, songIds, DEFAULT_FRONT_END, crops);
    const db = (nats: number) => (nats * NATS_TO_DB).toFixed(2);
    console.log(
      `  feature-domain mix vs exact mix over ${crops} crops: mean |error| ${report.meanAbsNats.toFixed(3)} nats (${db(report.meanAbsNats)} dB) over all bins, ${report.meanAbsActiveNats.toFixed(3)} nats (${db(report.meanAbsActiveNats)} dB) over active bins (within 40 dB of the crop's peak), 95th percentile ${report.p95ActiveNats.toFixed(3)} nats (${db(report.p95ActiveNats)} dB)`,
    );
  }
}

if (existsSync(options.corpus)) await benchAudioSampler();
else console.log(`no corpus at ${options.corpus}: audio sampler skipped`);
if (existsSync(options.cachedCorpus)) benchCachedSampler();
else console.log(`no corpus v2 at ${options.cachedCorpus}: feature-cache sampler skipped`);
