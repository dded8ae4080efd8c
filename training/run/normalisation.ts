import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FRONT_END_KINDS, type FrontEndKind } from '../../src/audio/frontend-config.js';
import { LogMelStatistics } from '../../src/audio/normalisation.js';

/** Dataset statistics of the log-feature values, applied by the front end as `(x - mean) / std`. */
export const NormalisationSchema = z.object({
  normMean: z.number(),
  normStd: z.number().positive(),
  values: z.number().int().positive(),
  /** The front end they were measured on (files from before the CQT existed: log-mel). */
  kind: z.enum(FRONT_END_KINDS).default('log-mel'),
});
export type Normalisation = z.infer<typeof NormalisationSchema>;

/** Mean and standard deviation over every value of the given (un-normalised) feature batches. */
export function measureNormalisation(
  batches: Iterable<Float32Array>,
  kind: FrontEndKind = 'log-mel',
): Normalisation {
  const statistics = new LogMelStatistics();
  for (const batch of batches) statistics.add(batch);
  return { ...statistics.result(), values: statistics.count, kind };
}

/**
 * Normalisation is measured once per run and stored beside its checkpoints, so a resumed run feeds
 * the network exactly the features it started with.
 */
export function loadOrMeasureNormalisation(
  runDir: string,
  kind: FrontEndKind,
  measure: () => Normalisation,
): Normalisation {
  const path = join(runDir, 'normalisation.json');
  if (existsSync(path)) {
    const stored = NormalisationSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    if (stored.kind !== kind) {
      throw new Error(
        `${path} holds ${stored.kind} statistics but this run trains on the ${kind} front end: use another run directory`,
      );
    }
    return stored;
  }
  const measured = measure();
  writeFileSync(path, `${JSON.stringify(measured, null, 2)}\n`);
  return measured;
}
