import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LogMelStatistics } from '../../src/audio/normalisation.js';

/** Dataset statistics of the log-mel values, applied by the front end as `(x - mean) / std`. */
export const NormalisationSchema = z.object({
  normMean: z.number(),
  normStd: z.number().positive(),
  values: z.number().int().positive(),
});
export type Normalisation = z.infer<typeof NormalisationSchema>;

/** Mean and standard deviation over every value of the given (un-normalised) log-mel batches. */
export function measureNormalisation(batches: Iterable<Float32Array>): Normalisation {
  const statistics = new LogMelStatistics();
  for (const batch of batches) statistics.add(batch);
  return { ...statistics.result(), values: statistics.count };
}

/**
 * Normalisation is measured once per run and stored beside its checkpoints, so a resumed run feeds
 * the network exactly the features it started with.
 */
export function loadOrMeasureNormalisation(runDir: string, measure: () => Normalisation): Normalisation {
  const path = join(runDir, 'normalisation.json');
  if (existsSync(path)) return NormalisationSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const measured = measure();
  writeFileSync(path, `${JSON.stringify(measured, null, 2)}\n`);
  return measured;
}
