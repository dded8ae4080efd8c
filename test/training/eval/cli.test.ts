import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/inference/manifest.js';
import { splitForSeed } from '../../../training/data/corpus.js';
import { generateSong } from '../../../training/data/generate.js';
import { ensureDevModel } from '../../../training/export/dev-model.js';
import { RetrievalTracker } from '../../../training/run/retrieval-tracker.js';

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'training', 'eval', 'cli.ts');

/** The first `count` seeds of a split: the split is a pure function of the seed. */
function seedsOf(split: string, count: number): number[] {
  const seeds: number[] = [];
  for (let seed = 0; seeds.length < count; seed++) if (splitForSeed(seed) === split) seeds.push(seed);
  return seeds;
}

const METRIC_KEYS = ['recall_at_1', 'recall_at_5', 'recall_at_10', 'median_normalized_rank', 'queries'];

function expectMetrics(metrics: Record<string, number>): void {
  for (const key of METRIC_KEYS) expect(metrics, key).toHaveProperty(key);
  for (const key of METRIC_KEYS.slice(0, 4)) {
    expect(metrics[key]).toBeGreaterThanOrEqual(0);
    expect(metrics[key]).toBeLessThanOrEqual(1);
  }
  expect(metrics.recall_at_1).toBeLessThanOrEqual(metrics.recall_at_5);
  expect(metrics.recall_at_5).toBeLessThanOrEqual(metrics.recall_at_10);
  expect(metrics.queries).toBeGreaterThan(0);
}

describe('npm run eval (end to end, tiny corpus, untrained dev model)', () => {
  let workDir: string;
  let corpusDir: string;
  let modelDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'stemdex-eval-'));
    corpusDir = join(workDir, 'corpus');
    // A private copy: one test records metrics into its manifest.
    modelDir = join(workDir, 'model');
    cpSync(await ensureDevModel(), modelDir, { recursive: true });
    // Two chunks per song (17–18 s); a few songs per split keep fluidsynth time low.
    const seeds = [
      ...seedsOf('test', 3),
      ...seedsOf('heldout_style', 2),
      ...seedsOf('train', 2),
      ...seedsOf('validation', 2),
    ];
    for (const seed of seeds) await generateSong(corpusDir, seed, { durationRange: [17, 18] });
  }, 240_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('prints tables, then the report as one JSON object on the last line, and writes the reports', async () => {
    const outDir = join(workDir, 'reports');
    const { stdout } = await run(
      TSX,
      [
        CLI,
        ...['--model', modelDir, '--corpus', corpusDir, '--out', outDir],
        ...['--splits', 'test,heldout_style,heldout_timbre', '--protocol-songs', '3'],
        ...['--probe-songs', '2', '--threads', '1', '--json', '--record'],
      ],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    const lines = stdout.trimEnd().split('\n');
    const report = JSON.parse(lines[lines.length - 1]);
    expect(lines.slice(0, -1).join('\n')).toContain('| **Stem-JEPA** |');

    expectMetrics(report);
    expect(report.split).toBe('test');
    expect(report.songs).toBe(3);
    expect(report.gallery_size).toBeGreaterThan(0);
    expect(report.gallery_size_total).toBeGreaterThanOrEqual(report.gallery_size);
    expect(report.other_scope.gallery_scope).toBe('all');
    expect(report.other_scope.gallery_size).toBe(report.gallery_size_total);
    expect(report.other_scope.queries).toBe(report.queries);
    expectMetrics(report.other_scope.baselines.chroma_onset);
    expectMetrics(report.baselines.random);
    expectMetrics(report.baselines.chroma_onset);
    // Chroma and onsets carry the song's chords and beat, so the ground truth (the held-out stem's
    // own chunk) ranks far above chance: a check that queries and ground truths line up.
    expect(report.baselines.chroma_onset.mean_normalized_rank).toBeLessThan(0.35);
    expect(Object.keys(report.per_instrument).length).toBeGreaterThan(0);
    for (const metrics of Object.values<Record<string, number>>(report.per_instrument))
      expectMetrics(metrics);
    const perInstrumentQueries = Object.values<{ queries: number }>(report.per_instrument).reduce(
      (sum, metrics) => sum + metrics.queries,
      0,
    );
    expect(perInstrumentQueries).toBe(report.queries);

    expect(report.heldout_style.split).toBe('heldout_style');
    expectMetrics(report.heldout_style);
    expectMetrics(report.heldout_style.baselines.chroma_onset);

    expect(report.alignment.shift_seconds).toHaveLength(51);
    expect(report.alignment.shift_seconds[0]).toBeCloseTo(-4);
    expect(report.alignment.mean_cosine).toHaveLength(51);
    expect(typeof report.alignment.peak_at_zero).toBe('boolean');
    const plot = PNG.sync.read(readFileSync(join(outDir, 'alignment.png')));
    expect(plot.width).toBeGreaterThan(100);

    expect(report.probes.key.classes).toBe(24);
    expect(report.probes.key.accuracy).toBeGreaterThanOrEqual(0);
    expect(report.probes.tempo.majority_accuracy).toBeGreaterThanOrEqual(0);
    expect(Object.keys(report.targets)).toEqual(
      expect.arrayContaining(['recall_at_1', 'median_normalized_rank', 'heldout_style_within_30_percent']),
    );

    expect(JSON.parse(readFileSync(join(outDir, 'eval.json'), 'utf8'))).toEqual(report);
    expect(readFileSync(join(outDir, 'eval.md'), 'utf8')).toContain('### Held-out style');

    // Every protocol ran on both splits present; the absent one is reported absent, not as zeros.
    expect(report.protocols.splits.heldout_timbre.present).toBe(false);
    for (const protocol of ['chunk', 'paper', 'product', 'kway']) {
      for (const split of ['test', 'heldout_style']) {
        expectMetrics(report.protocols[protocol][split]);
        expectMetrics(report.protocols[protocol][split].baselines.chroma_onset);
      }
      expect(report.protocols[protocol].heldout_timbre).toBeUndefined();
    }
    expect(report.protocols.product.test.offset_within_0_1s).toBeGreaterThanOrEqual(0);
    // Three songs cannot give 64 candidates: accuracy@64 is null, not a number over a smaller K.
    expect(report.protocols.kway.test.accuracy_at_64).toBeNull();
    expect(report.protocols.kway.test.full_k_queries).toBe(0);
    expect(readFileSync(join(outDir, 'eval.md'), 'utf8')).toContain('| heldout_timbre | absent:');

    const recorded = loadManifest(modelDir).metrics as Record<
      string,
      Record<string, Record<string, unknown> | null>
    >;
    expect(recorded.eval).toBeUndefined();
    expect(recorded.chunk.test?.recall_at_1).toBe(report.recall_at_1);
    expect(recorded.chunk.test?.gallery_size).toBe(report.gallery_size);
    expect(recorded.paper.test?.gallery_size).toBe(report.protocols.paper.test.gallery_size);
    expect(recorded.product.test).toHaveProperty('offset_within_0_1s_mod_bar');
    expect(recorded.kway.heldout_style).toHaveProperty('accuracy_at_64');
    expect(recorded.kway.heldout_timbre).toBeNull();
    expect(recorded.kway.real_songs).toBeNull();
  }, 400_000);

  it('ranks against every stem chunk of the split with --gallery-scope all', async () => {
    const { stdout } = await run(
      TSX,
      [
        CLI,
        ...['--model', modelDir, '--corpus', corpusDir, '--out', join(workDir, 'all')],
        ...[
          '--gallery-scope',
          'all',
          '--splits',
          'test',
          '--protocols',
          'chunk',
          '--probe-songs',
          '0',
          '--threads',
          '1',
          '--json',
        ],
      ],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout.trimEnd().split('\n').pop()!);
    expect(report.gallery_scope).toBe('all');
    expect(report.gallery_size).toBe(report.gallery_size_total);
    for (const metrics of Object.values<{ gallery_size: number }>(report.per_instrument)) {
      expect(metrics.gallery_size).toBe(report.gallery_size_total);
    }
    expect(report.other_scope.gallery_scope).toBe('instrument');
    expect(report.other_scope.gallery_size).toBeLessThanOrEqual(report.gallery_size);
    expect(report.heldout_style).toBeNull();
    expect(report.probes).toBeNull();
  }, 120_000);

  it("runs training's quick evaluation on the validation songs and keeps the best checkpoint", async () => {
    const runDir = join(workDir, 'run');
    const tracker = new RetrievalTracker({ runDir, corpusDir, every: 100, songs: 2, log: () => {} });
    const kept: string[] = [];
    const result = tracker.evaluate(
      100,
      (dir) => cpSync(modelDir, dir, { recursive: true }),
      (dir) => kept.push(dir),
    );
    expect(result?.improved).toBe(true);
    expect(result?.score).toBeGreaterThan(0);
    expect(result?.score).toBeLessThanOrEqual(1);
    expect(kept).toEqual([tracker.bestDir]);
    expect(
      JSON.parse(readFileSync(join(runDir, 'quick-eval', 'eval-quick.json'), 'utf8')).protocols.splits,
    ).toEqual({
      validation: { present: true, songs: 2 },
    });
    // A second tracker on the same run directory resumes the comparison from the persisted best.
    expect(new RetrievalTracker({ runDir, corpusDir, every: 100, songs: 2, log: () => {} }).bestStep).toBe(
      100,
    );
  }, 240_000);

  it('fails with a typed error when the model folder has no model', async () => {
    const missing = join(workDir, 'no-model');
    const failure = await run(
      TSX,
      [CLI, '--model', missing, '--corpus', corpusDir, '--out', join(workDir, 'x')],
      {
        cwd: REPO_ROOT,
      },
    ).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('EVAL_MODEL_NOT_FOUND');
    expect(existsSync(join(workDir, 'x', 'eval.json'))).toBe(false);
  }, 60_000);
});
