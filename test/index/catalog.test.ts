import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CatalogStore, openLocalCatalog } from '../../src/index/index.js';
import { describeCatalogContract } from './catalog-contract.js';
import { DIM, randomChunks, randomStem, seededRandom, temporaryDir } from './fixtures.js';

describeCatalogContract('local', {
  annTombstones: true,
  async workspace() {
    const dir = temporaryDir('catalog');
    return {
      open: (model) => openLocalCatalog({ dataDir: dir.path, ...model }),
      async remove() {
        dir.remove();
      },
    };
  },
});

describe('local catalog', () => {
  let dir: ReturnType<typeof temporaryDir>;
  let catalog: CatalogStore;

  beforeEach(async () => {
    dir = temporaryDir('catalog');
    catalog = await openLocalCatalog({ dataDir: dir.path, dim: DIM, modelId: 'test-model@1' });
  });

  afterEach(async () => {
    await catalog.close();
    dir.remove();
  });

  it('snapshots periodically when asked to', async () => {
    await catalog.close();
    catalog = await openLocalCatalog({
      dataDir: dir.path,
      dim: DIM,
      modelId: 'test-model@1',
      snapshotIntervalMs: 20,
    });
    await catalog.upsertStem(randomStem(seededRandom(15)));
    const before = await catalog.stats();
    expect(before.snapshotSequence).not.toBe(before.sequence);
    for (let waited = 0; waited < 5000; waited += 20) {
      if ((await catalog.stats()).snapshotSequence === before.sequence) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await catalog.stats()).snapshotSequence).toBe(before.sequence);
  });
});

describe('schema migration', () => {
  it('counts the indexed chunks of stems stored before the count existed', async () => {
    const dir = temporaryDir('migrate');
    try {
      const random = seededRandom(21);
      let catalog = await openLocalCatalog({ dataDir: dir.path, dim: DIM, modelId: 'test-model@1' });
      const stem = await catalog.upsertStem(
        randomStem(random, { chunks: randomChunks(random, 6, { silentEvery: 3 }) }),
      );
      await catalog.close();
      // Back to the first schema version: no indexed_count column.
      const db = new Database(join(dir.path, 'catalog.sqlite'));
      db.exec('ALTER TABLE stems DROP COLUMN indexed_count');
      db.pragma('user_version = 1');
      db.close();
      catalog = await openLocalCatalog({ dataDir: dir.path, dim: DIM, modelId: 'test-model@1' });
      expect(await catalog.getStem(stem.id)).toMatchObject({ chunkCount: 6, indexedChunks: 4 });
      await catalog.close();
    } finally {
      dir.remove();
    }
  });
});

describe('data directory lock', () => {
  it('lets one catalog at a time open a data directory, across processes too', async () => {
    const dir = temporaryDir('lock');
    try {
      const first = await openLocalCatalog({ dataDir: dir.path, dim: DIM, modelId: 'test-model@1' });
      await expect(
        openLocalCatalog({ dataDir: dir.path, dim: DIM, modelId: 'test-model@1' }),
      ).rejects.toMatchObject({
        code: 'DATA_DIR_LOCKED',
      });
      const script = `
        import { openLocalCatalog } from ${JSON.stringify(new URL('../../src/index/index.ts', import.meta.url).href)};
        openLocalCatalog({ dataDir: ${JSON.stringify(dir.path)}, dim: ${DIM}, modelId: 'test-model@1' })
          .then(() => console.log('OPENED'), (error) => console.log(error.code));`;
      const other = () =>
        execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          encoding: 'utf8',
        }).trim();
      expect(other()).toBe('DATA_DIR_LOCKED');
      await first.close();
      expect(other()).toBe('OPENED');
    } finally {
      dir.remove();
    }
  });
});
