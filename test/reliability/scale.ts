import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './serve-process.js';

/**
 * CI runs every reliability test at `ci` scale (seconds each); `npm run test:reliability` sets
 * STEMDEX_RELIABILITY_SCALE=full for the minutes-long soak and more kill -9 rounds.
 */
export const FULL_SCALE = process.env.STEMDEX_RELIABILITY_SCALE === 'full';

export function byScale<T>(ci: T, full: T): T {
  return FULL_SCALE ? full : ci;
}

/** One line per test with the figures the issue asks for (cases tried, faults injected, items lost). */
export function reportFigures(name: string, figures: Record<string, number | string>): void {
  console.log(`[reliability] ${name}: ${JSON.stringify(figures)}`);
  // The full-scale run (`npm run test:reliability`) is the one whose figures are published.
  if (FULL_SCALE) {
    const dir = join(REPO_ROOT, 'reports', 'reliability');
    mkdirSync(dir, { recursive: true });
    const file = `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`;
    const record = { test: name, measuredAt: new Date().toISOString(), scale: 'full', ...figures };
    writeFileSync(join(dir, file), `${JSON.stringify(record, null, 2)}\n`);
  }
}

export { seededRandom } from '../../src/random.js';
