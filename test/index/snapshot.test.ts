import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CatalogStore,
  openLocalCatalog,
  type StemRecord,
  type UpsertStemInput,
} from '../../src/index/index.js';
import { DIM, randomStem, randomUnitVector, seededRandom, temporaryDir } from './fixtures.js';

/**
 * The ANN index is a cache: whatever state its snapshot is in (current, stale, damaged, for
 * another model, absent), reopening must give the same search results as a fresh build.
 */

const MODEL = { dim: DIM, modelId: 'test-model@1' };
const dirs: Array<ReturnType<typeof temporaryDir>> = [];
const open: CatalogStore[] = [];

afterEach(async () => {
  for (const catalog of open.splice(0)) await catalog.close();
  for (const dir of dirs.splice(0)) dir.remove();
});

function newDir(): string {
  const dir = temporaryDir('snapshot');
  dirs.push(dir);
  return dir.path;
}

/** Log lines the catalog wrote while opening, to tell which recovery path it took. */
type LogLine = { msg?: string; obj: Record<string, unknown> };

async function openAt(dataDir: string, log: LogLine[] = []): Promise<CatalogStore> {
  const record = (obj: object, msg?: string) => log.push({ obj: obj as Record<string, unknown>, msg });
  const catalog = await openLocalCatalog({ dataDir, ...MODEL, logger: { info: record, warn: record } });
  open.push(catalog);
  return catalog;
}

/**
 * Copies the data directory while the catalog is open and idle: the same files a kill -9 at
 * this moment would leave (committed WAL, no final snapshot).
 */
function crashImage(source: string): string {
  const target = newDir();
  cpSync(source, target, { recursive: true });
  return target;
}

interface Scenario {
  dataDir: string;
  catalog: CatalogStore;
  live: Map<string, UpsertStemInput>;
  deleted: Set<string>;
}

/** Stems across instruments, a snapshot, then inserts, replacements and deletes after it. */
async function buildScenario(seed: number): Promise<Scenario> {
  const random = seededRandom(seed);
  const dataDir = newDir();
  const catalog = await openAt(dataDir);
  const live = new Map<string, UpsertStemInput>();
  const deleted = new Set<string>();
  const records: StemRecord[] = [];
  const add = async (input: UpsertStemInput) => {
    const record = await catalog.upsertStem(input);
    live.set(record.id, input);
    records.push(record);
  };
  const instruments = ['bass', 'drums', 'vocals'] as const;
  for (let i = 0; i < 30; i++) {
    await add(
      randomStem(random, { instrument: instruments[i % 3], externalId: `ext-${i}`, chunkCount: 1 + (i % 4) }),
    );
  }
  await catalog.snapshot();
  for (let i = 30; i < 50; i++) {
    await add(randomStem(random, { instrument: instruments[i % 3], chunkCount: 2 }));
  }
  for (const i of [1, 5, 33, 40]) {
    await catalog.deleteStem(records[i].id);
    live.delete(records[i].id);
    deleted.add(records[i].id);
  }
  for (const i of [2, 7]) {
    // Same external id: replaces the stem, possibly under another instrument.
    await add(randomStem(random, { instrument: 'guitar', externalId: `ext-${i}`, chunkCount: 3 }));
  }
  return { dataDir, catalog, live, deleted };
}

async function searchSignature(catalog: CatalogStore, scenario: Scenario, seed: number): Promise<string[]> {
  const random = seededRandom(seed);
  const signature: string[] = [];
  for (const instrument of ['bass', 'drums', 'vocals', 'guitar'] as const) {
    for (let q = 0; q < 5; q++) {
      const hits = await catalog.search(randomUnitVector(random), { k: 8, instrument });
      signature.push(
        hits.map((hit) => `${hit.stem.id}:${hit.chunk.index}:${hit.score.toFixed(5)}`).join(','),
      );
    }
  }
  for (const [id, input] of scenario.live) {
    const vector = input.chunks.find((chunk) => !chunk.silent)!.vector;
    const [top] = await catalog.search(vector, { k: 1, instrument: input.instrument });
    signature.push(`${id}->${top?.stem.id}`);
  }
  return signature;
}

async function expectLikeFreshBuild(
  catalog: CatalogStore,
  scenario: Scenario,
  storeDir = scenario.dataDir,
): Promise<void> {
  // No snapshot at all: the reference is a full rebuild from the store.
  const freshDir = crashImage(storeDir);
  rmSync(join(freshDir, 'index'), { recursive: true, force: true });
  const rebuilt = await openAt(freshDir);

  const expected = await searchSignature(rebuilt, scenario, 99);
  expect(await searchSignature(catalog, scenario, 99)).toEqual(expected);
  for (const [id] of scenario.live) expect(expected).toContain(`${id}->${id}`);
  for (const id of scenario.deleted) expect(expected.join()).not.toContain(id);
  const stats = await catalog.stats();
  const rebuiltStats = await rebuilt.stats();
  expect(stats.indexSize).toBe(rebuiltStats.indexSize);
  expect(stats.stems).toBe(scenario.live.size);
}

describe('index snapshots', () => {
  it('catches a stale snapshot up with the store and matches a fresh build', async () => {
    const scenario = await buildScenario(1);
    const before = await scenario.catalog.stats();
    expect(before.snapshotSequence).toBeLessThan(before.sequence);

    const log: LogLine[] = [];
    const recovered = await openAt(crashImage(scenario.dataDir), log);
    const loaded = log.find((line) => line.msg?.includes('loaded from snapshot'));
    // Added: 18 surviving post-snapshot stems × 2 chunks + 2 replacements × 3 chunks.
    // Removed: the snapshotted chunks of stems 1 and 5 (deleted, 2 each) and 2 and 7 (replaced, 3 and 4).
    expect(loaded?.obj).toMatchObject({ added: 42, removed: 11 });
    const stats = await recovered.stats();
    // Opening caught up and re-snapshotted.
    expect(stats.snapshotSequence).toBe(stats.sequence);
    await expectLikeFreshBuild(recovered, scenario);
  });

  it('loads a current snapshot as is', async () => {
    const scenario = await buildScenario(2);
    await scenario.catalog.snapshot();
    const log: LogLine[] = [];
    const recovered = await openAt(crashImage(scenario.dataDir), log);
    expect(log.find((line) => line.msg?.includes('loaded from snapshot'))?.obj).toMatchObject({
      added: 0,
      removed: 0,
    });
    await expectLikeFreshBuild(recovered, scenario);
  });

  it('rebuilds from the store when the snapshot is damaged or for another model', async () => {
    const scenario = await buildScenario(3);
    await scenario.catalog.snapshot();

    const damaged = crashImage(scenario.dataDir);
    const indexDir = join(damaged, 'index');
    const current = JSON.parse(readFileSync(join(indexDir, 'CURRENT'), 'utf8')) as { dir: string };
    const graphFile = join(indexDir, current.dir, 'bass.hnsw');
    const bytes = readFileSync(graphFile);
    writeFileSync(graphFile, bytes.subarray(0, bytes.length >> 1));
    const log: LogLine[] = [];
    await expectLikeFreshBuild(await openAt(damaged, log), scenario);
    expect(log.map((line) => line.msg)).toContain(
      'catalog: index snapshot unusable, rebuilding from the store',
    );

    const foreign = crashImage(scenario.dataDir);
    const manifestPath = join(foreign, 'index', current.dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, modelId: 'another-model@9' }));
    await expectLikeFreshBuild(await openAt(foreign), scenario);

    const garbage = crashImage(scenario.dataDir);
    writeFileSync(join(garbage, 'index', 'CURRENT'), '{not json');
    await expectLikeFreshBuild(await openAt(garbage), scenario);
  });

  it('rebuilds when the snapshot is newer than the store (store restored from an older copy)', async () => {
    const scenario = await buildScenario(6);
    const olderStore = crashImage(scenario.dataDir);
    const reference = crashImage(olderStore);
    await scenario.catalog.upsertStem(randomStem(seededRandom(7)));
    await scenario.catalog.snapshot();
    // Old store, new snapshot: the newer chunk ids in the graphs mean nothing to this store.
    rmSync(join(olderStore, 'index'), { recursive: true, force: true });
    cpSync(join(scenario.dataDir, 'index'), join(olderStore, 'index'), { recursive: true });
    const log: LogLine[] = [];
    await expectLikeFreshBuild(await openAt(olderStore, log), scenario, reference);
    expect(log.map((line) => line.msg)).toContain(
      'catalog: index snapshot is ahead of the store, rebuilding from the store',
    );
  });

  it('publishes snapshots atomically and keeps only the current one', async () => {
    const scenario = await buildScenario(4);
    await scenario.catalog.snapshot();
    await scenario.catalog.upsertStem(randomStem(seededRandom(5)));
    await scenario.catalog.snapshot();
    const indexDir = join(scenario.dataDir, 'index');
    const entries = readdirSync(indexDir).sort();
    const current = JSON.parse(readFileSync(join(indexDir, 'CURRENT'), 'utf8')) as { dir: string };
    expect(entries).toEqual(['CURRENT', current.dir].sort());
    expect(existsSync(join(indexDir, current.dir, 'manifest.json'))).toBe(true);
    const stats = await scenario.catalog.stats();
    expect(stats.snapshotSequence).toBe(stats.sequence);
  });
});
