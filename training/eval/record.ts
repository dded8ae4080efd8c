import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifestSchema } from '../../src/inference/manifest.js';
import type { KwaySplitResult } from './kway.js';
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
  kway: [],
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
    const entry: Record<string, unknown> = {
      songs: result.songs,
      ...headline(result, extra),
      baselines: {
        random: headline(result.baselines.random as ProtocolMetrics & Record<string, unknown>, extra),
        chroma_onset: headline(
          result.baselines.chroma_onset as ProtocolMetrics & Record<string, unknown>,
          extra,
        ),
      },
    };
    if (protocol === 'kway') {
      // Null when no query had 64 candidates (fewer than 64 other songs with the instrument).
      const kway = result as unknown as KwaySplitResult;
      entry.accuracy_at_64 = kway.accuracy_at_64;
      entry.full_k_queries = kway.full_k_queries;
      const baselines = entry.baselines as Record<string, Record<string, unknown>>;
      baselines.random.accuracy_at_64 = kway.baselines_accuracy_at_64.random;
      baselines.chroma_onset.accuracy_at_64 = kway.baselines_accuracy_at_64.chroma_onset;
    }
    out[split] = entry;
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
 * A run without probes (e.g. no training songs on this machine) keeps the probes an earlier
 * evaluation recorded, dated, rather than erasing them.
 */
function earlierProbes(
  metrics: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
): Record<string, unknown> | null {
  const earlier = (metrics.probes ?? previous?.probes) as Record<string, unknown> | null | undefined;
  if (!earlier) return null;
  const measuredAt = earlier.measured_at ?? metrics.evaluated_at ?? previous?.evaluated_at ?? null;
  return { ...earlier, measured_at: measuredAt };
}

/**
 * Writes the evaluation into the model's manifest `metrics` (replacing the single-protocol
 * `metrics.eval` of earlier versions). Only `metrics` changes, and the graph hashes the manifest
 * records stay valid; the file is replaced atomically.
 */
export function recordInManifest(modelDir: string, report: EvalReport): void {
  const path = join(modelDir, 'manifest.json');
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const { eval: previous, ...metrics } = (raw.metrics ?? {}) as Record<string, unknown>;
  const recorded = manifestMetrics(report);
  if (recorded.probes === null)
    recorded.probes = earlierProbes(metrics, previous as Record<string, unknown> | undefined);
  const updated = { ...raw, metrics: { ...metrics, ...recorded } };
  ModelManifestSchema.parse(updated);
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(updated, null, 2)}\n`);
  renameSync(temporary, path);
}
