import { randomUUID } from 'node:crypto';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Uploaded batch files are written under `<dataDir>/staging/<uploadId>/` and fsynced before the
 * job that references them is committed, so an acknowledged job never points at a lost file.
 */
export class Staging {
  constructor(readonly root: string) {}

  newUploadDir(): string {
    return join(this.root, randomUUID());
  }

  /** Flushes files and their directory entries to disk. */
  async makeDurable(dir: string, files: readonly string[]): Promise<void> {
    for (const path of [...files, dir, this.root]) {
      const handle = await open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  async discard(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /** Removes upload folders that no unfinished job references (left by a crash before the ack). */
  async removeOrphans(referencedPaths: ReadonlySet<string>): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch {
      return [];
    }
    const referencedDirs = new Set([...referencedPaths].map((path) => join(path, '..')));
    const orphans = entries.map((entry) => join(this.root, entry)).filter((dir) => !referencedDirs.has(dir));
    for (const dir of orphans) await this.discard(dir);
    return orphans;
  }
}
