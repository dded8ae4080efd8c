import { Command } from 'commander';
import { defaultCorpusDir, SPLITS, type Split } from './corpus.js';
import { PrefetchingSampler } from './prefetch.js';
import { ExampleSampler } from './sampler.js';

/**
 * `npm run bench:sampler`: how fast the sampler feeds training, on the generated corpus.
 * Reports raw examples/s (crop + mix), log-mel batches/s on the calling thread, and batches/s
 * from the prefetching worker while the calling thread is busy elsewhere.
 */

const options = new Command()
  .option('--corpus <dir>', 'corpus folder', defaultCorpusDir())
  .option('--split <split>', SPLITS.join(' | '), 'train')
  .option('--batch <n>', 'batch size', '16')
  .option('--batches <n>', 'batches to time', '8')
  .parse()
  .opts<{ corpus: string; split: Split; batch: string; batches: string }>();

const batchSize = Number(options.batch);
const batches = Number(options.batches);

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

let start = performance.now();
const sampler = new ExampleSampler({ corpusDir: options.corpus, split: options.split, seed: 1 });
console.log(
  `${sampler.songIds.length} songs in ${options.split}; loading the resident pool took ${seconds(start).toFixed(2)} s`,
);

start = performance.now();
const rawCount = batchSize * batches;
for (let i = 0; i < rawCount; i++) sampler.sampleExample();
console.log(`raw examples (crop + mix, no features): ${(rawCount / seconds(start)).toFixed(1)} examples/s`);

start = performance.now();
for (let i = 0; i < batches; i++) sampler.nextBatch(batchSize);
const syncRate = (batches * batchSize) / seconds(start);
console.log(`log-mel batches on this thread: ${syncRate.toFixed(1)} examples/s (batch ${batchSize})`);

const prefetcher = new PrefetchingSampler({
  corpusDir: options.corpus,
  split: options.split,
  seed: 1,
  batchSize,
});
await prefetcher.nextBatch(); // the worker's start-up and pool loading are not part of the steady rate
start = performance.now();
for (let i = 0; i < batches; i++) await prefetcher.nextBatch();
console.log(
  `log-mel batches from the prefetching worker: ${((batches * batchSize) / seconds(start)).toFixed(1)} examples/s`,
);
await prefetcher.close();
