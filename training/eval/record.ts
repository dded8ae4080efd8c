import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifestSchema } from '../../src/inference/manifest.js';
import type { EvalReport } from './report.js';

/** The headline numbers kept in `manifest.json` under `metrics.eval`, next to the model they describe. */
export function manifestMetrics(report: EvalReport): Record<string, unknown> {
  const headline = (
    split: Pick<EvalReport, 'recall_at_1' | 'recall_at_5' | 'recall_at_10' | 'median_normalized_rank'>,
  ) => ({
    recall_at_1: split.recall_at_1,
    recall_at_5: split.recall_at_5,
    recall_at_10: split.recall_at_10,
    median_normalized_rank: split.median_normalized_rank,
  });
  return {
    evaluated_at: report.created_at,
    split: report.split,
    songs: report.songs,
    queries: report.queries,
    gallery_scope: report.gallery_scope,
    gallery_size: report.gallery_size,
    gallery_size_total: report.gallery_size_total,
    ...headline(report),
    baselines: {
      random: headline(report.baselines.random),
      chroma_onset: headline(report.baselines.chroma_onset),
    },
    other_scope: {
      gallery_scope: report.other_scope.gallery_scope,
      gallery_size: report.other_scope.gallery_size,
      ...headline(report.other_scope),
      baselines: {
        random: headline(report.other_scope.baselines.random),
        chroma_onset: headline(report.other_scope.baselines.chroma_onset),
      },
    },
    heldout_style: report.heldout_style
      ? {
          songs: report.heldout_style.songs,
          queries: report.heldout_style.queries,
          ...headline(report.heldout_style),
        }
      : null,
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
 * Writes `metrics.eval` into the model's manifest. Only `metrics` changes, and the graph hashes
 * the manifest records stay valid; the file is replaced atomically.
 */
export function recordInManifest(modelDir: string, report: EvalReport): void {
  const path = join(modelDir, 'manifest.json');
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const metrics = (raw.metrics ?? {}) as Record<string, unknown>;
  const updated = { ...raw, metrics: { ...metrics, eval: manifestMetrics(report) } };
  ModelManifestSchema.parse(updated);
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(updated, null, 2)}\n`);
  renameSync(temporary, path);
}
