import type { EvalReport } from './report.js';
import { type RunOptions, runEvaluation } from './run.js';

/**
 * `npm run eval -- --quick`: real retrieval on a fixed subset of the validation split (evenly
 * spaced songs, the same every time), chunk and product protocols only, no probes, no plot.
 * Sized to take at most about two minutes on two cores, so training can call it every few
 * hundred steps and keep the checkpoint that retrieves best.
 */

export const QUICK_SONGS = 10;

export type QuickOptions = Pick<
  RunOptions,
  | 'modelDir'
  | 'corpusDir'
  | 'realSongsCacheDir'
  | 'outDir'
  | 'threads'
  | 'featureWorkers'
  | 'seed'
  | 'onProgress'
> & { songs?: number };

export function quickRunOptions(options: QuickOptions): RunOptions {
  const songs = options.songs ?? QUICK_SONGS;
  return {
    ...options,
    split: 'validation',
    splits: ['validation'],
    protocols: ['chunk', 'product'],
    maxSongs: songs,
    protocolSongs: songs,
    probeSplit: 'train',
    probeSongs: 0,
    reportName: 'eval-quick',
    plotPath: null,
  };
}

export function runQuickEvaluation(options: QuickOptions): Promise<EvalReport> {
  return runEvaluation(quickRunOptions(options));
}
