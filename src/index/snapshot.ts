import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { INSTRUMENTS, type Instrument } from '../instruments.js';
import { AnnIndex } from './ann-index.js';

/**
 * On-disk snapshots of the ANN cache, under `<dataDir>/index/`:
 *
 *   CURRENT                 {"dir": "snap-<sequence>-<nonce>"}, replaced atomically by rename
 *   snap-<seq>-<nonce>/     manifest.json + one `<instrument>.hnsw` per instrument
 *
 * A snapshot is written into a fresh directory, fsynced, and only then published through
 * CURRENT, so a crash while writing leaves the previous snapshot in force. The manifest records
 * the store sequence number the graphs reflect and each file's size and sha256: a truncated or
 * foreign file is detected before hnswlib parses it (a corrupt graph file is not safe to read).
 */

const FORMAT = 1;

const SnapshotManifestSchema = z.object({
  format: z.literal(FORMAT),
  modelId: z.string(),
  dim: z.number().int().positive(),
  sequence: z.number().int().nonnegative(),
  indexes: z.record(
    z.string(),
    z.object({
      file: z.string(),
      bytes: z.number().int().nonnegative(),
      sha256: z.string(),
      deleted: z.array(z.number().int().nonnegative()),
    }),
  ),
});

export interface LoadedSnapshot {
  sequence: number;
  indexes: Map<Instrument, AnnIndex>;
}

export class SnapshotRejectedError extends Error {}

export function writeSnapshot(
  indexDir: string,
  identity: { modelId: string; dim: number },
  sequence: number,
  indexes: ReadonlyMap<Instrument, AnnIndex>,
): void {
  mkdirSync(indexDir, { recursive: true });
  const name = `snap-${sequence}-${randomBytes(4).toString('hex')}`;
  const staging = join(indexDir, `.tmp-${name}`);
  mkdirSync(staging);

  const manifest: z.infer<typeof SnapshotManifestSchema> = {
    format: FORMAT,
    ...identity,
    sequence,
    indexes: {},
  };
  for (const [instrument, index] of indexes) {
    const file = `${instrument}.hnsw`;
    const path = join(staging, file);
    index.write(path);
    fsyncFile(path);
    const bytes = readFileSync(path);
    manifest.indexes[instrument] = {
      file,
      bytes: bytes.length,
      sha256: sha256(bytes),
      deleted: index.deletedLabels(),
    };
  }
  writeDurably(join(staging, 'manifest.json'), JSON.stringify(manifest));
  fsyncFile(staging);
  renameSync(staging, join(indexDir, name));
  writeDurably(join(indexDir, 'CURRENT.tmp'), JSON.stringify({ dir: name }));
  renameSync(join(indexDir, 'CURRENT.tmp'), join(indexDir, 'CURRENT'));
  fsyncFile(indexDir);
  removeStaleSnapshots(indexDir, name);
}

/**
 * Returns the published snapshot, null when there is none, or throws `SnapshotRejectedError`
 * when it exists but cannot be trusted (other model, damaged files).
 */
export function readSnapshot(
  indexDir: string,
  identity: { modelId: string; dim: number },
): LoadedSnapshot | null {
  const currentPath = join(indexDir, 'CURRENT');
  if (!existsSync(currentPath)) return null;
  const { dir } = z.object({ dir: z.string().regex(/^snap-[\w-]+$/) }).parse(readJson(currentPath));
  const snapshotDir = join(indexDir, dir);
  const manifest = SnapshotManifestSchema.parse(readJson(join(snapshotDir, 'manifest.json')));
  if (manifest.modelId !== identity.modelId || manifest.dim !== identity.dim) {
    throw new SnapshotRejectedError(`snapshot is for model ${manifest.modelId} (dim ${manifest.dim})`);
  }
  const indexes = new Map<Instrument, AnnIndex>();
  for (const [instrument, entry] of Object.entries(manifest.indexes)) {
    if (!(INSTRUMENTS as readonly string[]).includes(instrument)) {
      throw new SnapshotRejectedError(`snapshot has an index for unknown instrument ${instrument}`);
    }
    const path = join(snapshotDir, entry.file);
    if (
      !existsSync(path) ||
      statSync(path).size !== entry.bytes ||
      sha256(readFileSync(path)) !== entry.sha256
    ) {
      throw new SnapshotRejectedError(`snapshot file ${entry.file} is missing or damaged`);
    }
    indexes.set(instrument as Instrument, AnnIndex.read(path, identity.dim, entry.deleted));
  }
  return { sequence: manifest.sequence, indexes };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SnapshotRejectedError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function removeStaleSnapshots(indexDir: string, keep: string): void {
  for (const entry of readdirSync(indexDir)) {
    if (entry !== keep && (entry.startsWith('snap-') || entry.startsWith('.tmp-snap-'))) {
      rmSync(join(indexDir, entry), { recursive: true, force: true });
    }
  }
}

function writeDurably(path: string, contents: string): void {
  writeFileSync(path, contents);
  fsyncFile(path);
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
