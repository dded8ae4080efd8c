import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Split } from './corpus.js';
import { songsDir } from './corpus.js';
import { type CorpusSummary, summariseCorpus } from './summary.js';

/** What `npm run corpus` was asked for (both corpus formats). */
export interface CliOptions {
  format: 'v1' | 'v2';
  mma: number;
  generated: number;
  twins: boolean;
  pool: 'full' | 'test';
  frontEnd: string[];
  featuresOnly: boolean;
  songs: number;
  start: number;
  workers: number;
  split?: Split;
  out?: string;
  minSeconds: number;
  maxSeconds: number;
}

/** index.json is refreshed every this many songs, so an interrupted run still leaves a recent one. */
export const INDEX_EVERY = 100;

export function writeIndex(corpusDir: string): CorpusSummary {
  const summary = summariseCorpus(corpusDir);
  const path = join(corpusDir, 'index.json');
  writeFileSync(`${path}.tmp`, `${JSON.stringify(summary, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
  return summary;
}

/** True while process `pid` exists (signal 0 only checks; EPERM means it exists but is not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the `.tmp-<songId>-<pid>` folders of interrupted runs; a folder whose process still
 * runs (another run on the same corpus) is left alone.
 */
export function removeStaleTempDirs(corpusDir: string): void {
  const dir = songsDir(corpusDir);
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith('.tmp-')) continue;
    const pid = Number(/-(\d+)$/.exec(entry)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) continue;
    rmSync(join(dir, entry), { recursive: true, force: true });
  }
}
