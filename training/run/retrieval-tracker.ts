import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Tracks real retrieval while training: every `every` steps the current weights are exported to a
 * scratch folder and `npm run eval -- --quick` measures them (a fixed validation subset; chunk and
 * product protocols), in a child process so its memory and threads go away with it. The best
 * score so far (product-protocol R@10, the number closest to what users get) is persisted in
 * `<run dir>/best-checkpoint/best.json` so a resumed run keeps comparing against it.
 */

export interface QuickEvalResult {
  step: number;
  chunkRecallAt1: number;
  productRecallAt1: number;
  productRecallAt10: number;
  offsetWithin01s: number;
  score: number;
  improved: boolean;
  seconds: number;
}

export interface RetrievalTrackerOptions {
  runDir: string;
  corpusDir: string;
  every: number;
  songs: number;
  log: (message: string) => void;
}

const REPO_ROOT = resolve(import.meta.dirname, '../..');

export class RetrievalTracker {
  readonly bestDir: string;
  private readonly scratch: string;
  private best: { step: number; score: number } | null;

  constructor(private readonly options: RetrievalTrackerOptions) {
    this.bestDir = join(options.runDir, 'best-checkpoint');
    this.scratch = join(options.runDir, 'quick-eval');
    const bestFile = join(this.bestDir, 'best.json');
    this.best = existsSync(bestFile)
      ? (JSON.parse(readFileSync(bestFile, 'utf8')) as { step: number; score: number })
      : null;
  }

  get bestStep(): number | null {
    return this.best?.step ?? null;
  }

  due(step: number): boolean {
    return this.options.every > 0 && step > 0 && step % this.options.every === 0;
  }

  /**
   * Exports the current weights with `exportTo`, runs the quick evaluation on them and, when the
   * score beats the best so far, calls `keep(bestDir)` to save the checkpoint there. Returns null
   * (after logging why) when the evaluation fails: training goes on.
   */
  evaluate(
    step: number,
    exportTo: (dir: string) => void,
    keep: (dir: string) => void,
  ): QuickEvalResult | null {
    const started = performance.now();
    const modelDir = join(this.scratch, 'model');
    rmSync(modelDir, { recursive: true, force: true });
    exportTo(modelDir);
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'training', 'eval', 'cli.ts'),
        ...['--quick', '--max-songs', String(this.options.songs), '--model', modelDir],
        ...['--corpus', this.options.corpusDir, '--out', this.scratch, '--json'],
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (result.status !== 0) {
      this.options.log(
        `quick evaluation at step ${step} failed (exit ${result.status}): ${result.stderr.trim().split('\n').pop()}`,
      );
      return null;
    }
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      protocols: {
        chunk: { validation?: { recall_at_1: number } };
        product: {
          validation?: {
            recall_at_1: number;
            recall_at_10: number;
            mean_normalized_rank: number;
            offset_within_0_1s: number;
          };
        };
      };
    };
    const product = report.protocols.product.validation;
    const score = 1 - (product?.mean_normalized_rank ?? Number.NaN);
    const improved = Number.isFinite(score) && (this.best === null || score > this.best.score);
    if (improved) {
      keep(this.bestDir);
      this.best = { step, score };
      mkdirSync(this.bestDir, { recursive: true });
      writeFileSync(join(this.bestDir, 'best.json'), `${JSON.stringify(this.best)}\n`);
    }
    return {
      step,
      chunkRecallAt1: report.protocols.chunk.validation?.recall_at_1 ?? Number.NaN,
      productRecallAt1: product?.recall_at_1 ?? Number.NaN,
      productRecallAt10: product?.recall_at_10 ?? Number.NaN,
      offsetWithin01s: product?.offset_within_0_1s ?? Number.NaN,
      score,
      improved,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  }
}
