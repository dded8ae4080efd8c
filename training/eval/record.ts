import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifestSchema } from '../../src/inference/manifest.js';
import type { ProtocolMetrics } from './protocol-scores.js';
import type { EvalReport, ProtocolsReport } from './report.js';
import { EVAL_SPLITS } from './splits.js';

/**
 * The numbers kept in `manifest.json` `metrics`, next to the model they describe, under stable
 * keys: `metrics.<protocol>.<split>` for the protocols `chunk`, `paper`, `product` and `kway`
 * and every split of `EVAL_SPLITS`, each with the model's ranking metrics and `baselines.random`
 * and `baselines.chroma_onset` with the same keys. A split that was absent is `null` there and
 * `metrics.splits` says why.
 */

type Headline = Pick<
  ProtocolMetrics,
  'recall_at_1' | 'recall_at_5' | 'recall_at_10' | 'median_normalized_rank' | 'queries' | 'gallery_size'
> &
  Record<string, number>;

const EXTRA_KEYS = {
  chunk: [],
  paper: [],
  product: ['offset_within_0_1s', 'offset_within_0_1s_mod_bar'],
  kway: ['accuracy_at_64'],
} as const satisfies Record<keyof Omit<ProtocolsReport, 'splits'>, readonly string[]>;

function headline(metrics: ProtocolMetrics & Record<string, unknown>, extra: readonly string[]): Headline {
  const picked: Headline = {
    recall_at_1: metrics.recall_at_1,
    recall_at_5: metrics.recall_at_5,
    recall_at_10: metrics.recall_at_10,
    median_normalized_rank: metrics.median_normalized_rank,
    queries: metrics.queries,
    gallery_size: metrics.gallery_size,
  };
  for (const key of extra) if (typeof metrics[key] === 'number') picked[key] = metrics[key] as number;
  return picked;
}

function protocolMetrics(protocols: ProtocolsReport, protocol: keyof typeof EXTRA_KEYS) {
  const extra = EXTRA_KEYS[protocol];
  const out: Record<string, unknown> = {};
  for (const split of EVAL_SPLITS) {
    const result = protocols[protocol][split] as
      | (ProtocolMetrics & {
          songs: number;
          baselines: { random: ProtocolMetrics; chroma_onset: ProtocolMetrics };
        } & Record<string, unknown>)
      | undefined;
    if (!result) {
      out[split] = null;
      continue;
    }
    // K-way: the random ranker's accuracy@K is its recall@1, like the model's.
    const baselineExtra = protocol === 'kway' ? [] : extra;
    const withAccuracy = (metrics: ProtocolMetrics & Record<string, unknown>) =>
      protocol === 'kway' ? { ...metrics, accuracy_at_64: metrics.recall_at_1 } : metrics;
    out[split] = {
      songs: result.songs,
      ...headline(result, extra),
      baselines: {
        random: headline(withAccuracy(result.baselines.random as ProtocolMetrics & Record<string, unknown>), [
          ...baselineExtra,
          ...(protocol === 'kway' ? ['accuracy_at_64'] : []),
        ]),
        chroma_onset: headline(
          withAccuracy(result.baselines.chroma_onset as ProtocolMetrics & Record<string, unknown>),
          [...baselineExtra, ...(protocol === 'kway' ? ['accuracy_at_64'] : [])],
        ),
      },
    };
  }
  return out;
}

/** Everything `--record` writes into `manifest.json` `metrics`. */
export function manifestMetrics(report: EvalReport): Record<string, unknown> {
  const { protocols } = report;
  return {
    evaluated_at: report.created_at,
    splits: protocols.splits,
    chunk: protocolMetrics(protocols, 'chunk'),
    paper: protocolMetrics(protocols, 'paper'),
    product: protocolMetrics(protocols, 'product'),
    kway: protocolMetrics(protocols, 'kway'),
    alignment_peak_shift_seconds: report.alignment.peak_shift_seconds,
    probes: report.probes
      ? {
          key_accuracy: report.probes.key.accuracy,
          key_majority_accuracy: report.probes.key.majority_accuracy,
          tempo_accuracy: report.probes.tempo.accuracy,
          tempo_majority_accuracy: report.probes.tempo.majority_accuracy,
        }
      : null,
    targets_met: Object.fromEntries(Object.entries(report.targets).map(([name, check]) => [name, check.met])),
  };
}

/**
 * Writes the evaluation into the model's manifest `metrics` (replacing the single-protocol
 * `metrics.eval` of earlier versions). Only `metrics` changes, and the graph hashes the manifest
 * records stay valid; the file is replaced atomically.
 */
export function recordInManifest(modelDir: string, report: EvalReport): void {
  const path = join(modelDir, 'manifest.json');
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const { eval: _replaced, ...metrics } = (raw.metrics ?? {}) as Record<string, unknown>;
  const updated = { ...raw, metrics: { ...metrics, ...manifestMetrics(report) } };
  ModelManifestSchema.parse(updated);
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(updated, null, 2)}\n`);
  renameSync(temporary, path);
}
