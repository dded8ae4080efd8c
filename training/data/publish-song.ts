import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isSongCurrent, songDir, songsDir } from './corpus.js';

/**
 * Writes a song folder atomically: `write` fills a temporary folder beside the songs, which is
 * renamed into place when complete, so a reader never sees a half-written song. Returns false
 * (and discards the temporary folder) when another run finished the same song first: its copy is
 * identical (same id, same generator version). A song from an older generator version is replaced.
 */
export async function publishSong(
  corpusDir: string,
  songId: string,
  write: (tempDir: string) => Promise<void>,
): Promise<boolean> {
  await mkdir(songsDir(corpusDir), { recursive: true });
  const tempDir = join(songsDir(corpusDir), `.tmp-${songId}-${process.pid}`);
  await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir);
  await write(tempDir);
  if (isSongCurrent(corpusDir, songId)) {
    await rm(tempDir, { recursive: true, force: true });
    return false;
  }
  const finalDir = songDir(corpusDir, songId);
  if (existsSync(finalDir)) await rm(finalDir, { recursive: true, force: true });
  await rename(tempDir, finalDir);
  return true;
}
