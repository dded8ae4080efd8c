import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogStore, JobItemInput, StemRecord } from '../../src/index/index.js';
import { cosine, DIM, randomChunks, randomStem, randomUnitVector, seededRandom } from './fixtures.js';

/**
 * The behaviour every catalog backend must share, run against each of them (local SQLite +
 * hnswlib in `catalog.test.ts`, PostgreSQL + pgvector in `postgres-catalog.test.ts`).
 * Backend-specific behaviour (snapshots, data-directory locks, replicas) stays in their own files.
 */

export interface CatalogModel {
  dim: number;
  modelId: string;
}

/** A fresh, empty place to open catalogs in: a data directory, a database schema. */
export interface CatalogWorkspace {
  open(model: CatalogModel): Promise<CatalogStore>;
  remove(): Promise<void>;
}

export interface CatalogBackend {
  workspace(): Promise<CatalogWorkspace>;
  /** Deletes leave entries in the ANN index until `compact()` (hnswlib marks, pgvector vacuums). */
  annTombstones: boolean;
}

const MODEL: CatalogModel = { dim: DIM, modelId: 'test-model@1' };

function items(count: number): JobItemInput[] {
  return Array.from({ length: count }, (_, i) => ({
    source: {
      type: i % 2 === 0 ? 'staged' : 'server',
      path: `/data/staging/file-${i}.wav`,
      filename: `file-${i}.wav`,
    },
    instrument: 'bass',
    catalog: 'label',
    externalId: i === 0 ? null : `song-${i}`,
    metadata: { title: `File ${i}`, tags: ['batch'] },
  }));
}

export function describeCatalogContract(name: string, backend: CatalogBackend): void {
  describe(`catalog contract: ${name}`, () => {
    let workspace: CatalogWorkspace;
    let catalog: CatalogStore;

    beforeEach(async () => {
      workspace = await backend.workspace();
      catalog = await workspace.open(MODEL);
    });

    afterEach(async () => {
      await catalog?.close();
      await workspace?.remove();
    });

    it('stores a stem and returns it with its chunks', async () => {
      const random = seededRandom(1);
      const input = randomStem(random, {
        catalog: 'label-a',
        externalId: 'ext-1',
        instrument: 'drums',
        metadata: { title: 'Break', tags: ['funk'], key: 'Am', bpm: 96, custom: { nested: [1, 2] } },
        chunkCount: 4,
      });
      const record = await catalog.upsertStem(input);

      expect(record).toMatchObject({
        catalog: 'label-a',
        externalId: 'ext-1',
        instrument: 'drums',
        metadata: input.metadata,
        durationSeconds: input.durationSeconds,
        chunkCount: 4,
      });
      expect(record.createdAt).toBe(record.updatedAt);
      expect(await catalog.getStem(record.id)).toEqual(record);
      expect(await catalog.getStemByExternalId('label-a', 'ext-1')).toEqual(record);
      expect(await catalog.getStemByExternalId('label-b', 'ext-1')).toBeNull();
      expect(await catalog.getStem('no-such-id')).toBeNull();

      const chunks = await catalog.getChunks(record.id);
      expect(chunks.map((chunk) => chunk.index)).toEqual([0, 1, 2, 3]);
      for (const [i, chunk] of chunks.entries()) {
        const original = input.chunks[i];
        expect(chunk.offsetSeconds).toBe(original.offsetSeconds);
        expect(chunk.silent).toBe(original.silent);
        expect(chunk.vector).toEqual(original.vector);
        expect(chunk.timeline).toEqual(original.timeline);
        // Patches are stored as float16: equal to within half precision.
        expect(chunk.patches.length).toBe(original.patches.length);
        for (let j = 0; j < chunk.patches.length; j++) {
          expect(Math.abs(chunk.patches[j] - original.patches[j])).toBeLessThan(1e-3);
        }
      }
      await expect(catalog.getChunks('no-such-id')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('finds a stem by any of its chunk vectors and reports the matching chunk', async () => {
      const random = seededRandom(2);
      const inputs = Array.from({ length: 40 }, () => randomStem(random, { chunkCount: 5 }));
      const records: StemRecord[] = [];
      for (const input of inputs) records.push(await catalog.upsertStem(input));

      for (const target of [0, 17, 39]) {
        for (const chunkIndex of [0, 4]) {
          const query = inputs[target].chunks[chunkIndex];
          const hits = await catalog.search(query.vector, { k: 5, instrument: 'bass' });
          expect(hits).toHaveLength(5);
          expect(hits[0].stem.id).toBe(records[target].id);
          expect(hits[0].score).toBeCloseTo(1, 5);
          expect(hits[0].chunk.index).toBe(chunkIndex);
          expect(hits[0].chunk.offsetSeconds).toBe(query.offsetSeconds);
          expect(hits[0].chunk.timeline).toEqual(query.timeline);
          // One hit per stem, best first.
          expect(new Set(hits.map((hit) => hit.stem.id)).size).toBe(5);
          const scores = hits.map((hit) => hit.score);
          expect([...scores].sort((a, b) => b - a)).toEqual(scores);
        }
      }
    });

    it('ranks like an exact cosine search, scoring each stem by its best chunk', async () => {
      const random = seededRandom(3);
      const inputs = Array.from({ length: 60 }, () => randomStem(random, { chunkCount: 3 }));
      const records: StemRecord[] = [];
      for (const input of inputs) records.push(await catalog.upsertStem(input));

      for (let q = 0; q < 5; q++) {
        const query = randomUnitVector(random);
        const exact = inputs
          .map((input, i) => ({
            id: records[i].id,
            score: Math.max(...input.chunks.map((chunk) => cosine(query, chunk.vector))),
          }))
          .sort((a, b) => b.score - a.score)
          .slice(0, 10);
        const hits = await catalog.search(query, { k: 10, instrument: 'bass' });
        expect(hits.map((hit) => hit.stem.id)).toEqual(exact.map((entry) => entry.id));
        hits.forEach((hit, i) => {
          expect(hit.score).toBeCloseTo(exact[i].score, 5);
        });
      }
    });

    it('searches only the requested instrument and catalog, honouring metadata filters and exclusions', async () => {
      const random = seededRandom(4);
      const shared = randomChunks(random, 2);
      const make = (catalogName: string, instrument: 'bass' | 'drums', metadata: Record<string, unknown>) =>
        catalog.upsertStem({
          catalog: catalogName,
          instrument,
          metadata,
          durationSeconds: 12,
          chunks: shared.map((chunk) => ({ ...chunk })),
        });
      const aBass = await make('a', 'bass', { tags: ['dark', 'live'], key: 'Am', bpm: 90 });
      const aBass2 = await make('a', 'bass', { tags: ['dark'], key: 'C', bpm: 128 });
      const bBass = await make('b', 'bass', { tags: ['live'], key: 'am', bpm: 100 });
      const aDrums = await make('a', 'drums', { bpm: 90 });
      const query = shared[0].vector;
      const ids = async (options: Parameters<CatalogStore['search']>[1]) =>
        (await catalog.search(query, options)).map((hit) => hit.stem.id).sort();

      expect(await ids({ k: 10, instrument: 'bass' })).toEqual([aBass.id, aBass2.id, bBass.id].sort());
      expect(await ids({ k: 10, instrument: 'drums' })).toEqual([aDrums.id]);
      expect(await ids({ k: 10, instrument: 'vocals' })).toEqual([]);
      expect(await ids({ k: 10, instrument: 'bass', catalog: 'a' })).toEqual([aBass.id, aBass2.id].sort());
      expect(await ids({ k: 10, instrument: 'bass', filter: { tags: ['live'] } })).toEqual(
        [aBass.id, bBass.id].sort(),
      );
      expect(await ids({ k: 10, instrument: 'bass', filter: { tags: ['live', 'dark'] } })).toEqual([
        aBass.id,
      ]);
      expect(await ids({ k: 10, instrument: 'bass', filter: { key: 'AM' } })).toEqual(
        [aBass.id, bBass.id].sort(),
      );
      expect(await ids({ k: 10, instrument: 'bass', filter: { bpmMin: 95, bpmMax: 130 } })).toEqual(
        [aBass2.id, bBass.id].sort(),
      );
      expect(await ids({ k: 10, instrument: 'bass', excludeStemIds: [aBass.id, 'unknown'] })).toEqual(
        [aBass2.id, bBass.id].sort(),
      );
      expect(await ids({ k: 1, instrument: 'bass', catalog: 'b' })).toEqual([bBass.id]);
      // A set of catalogs (what an API key may read): stems of other catalogs never come back.
      expect(await ids({ k: 10, instrument: 'bass', catalogs: ['b', 'c'] })).toEqual([bBass.id]);
      expect(await ids({ k: 10, instrument: 'bass', catalogs: ['a', 'b'] })).toEqual(
        [aBass.id, aBass2.id, bBass.id].sort(),
      );
      expect(await ids({ k: 10, instrument: 'bass', catalogs: [] })).toEqual([]);
      expect(await ids({ k: 10, instrument: 'bass', catalog: 'a', catalogs: ['b'] })).toEqual([]);
    });

    it('returns k distinct stems even when one stem owns most of the nearest chunks', async () => {
      const random = seededRandom(5);
      const query = randomUnitVector(random);
      // A long stem whose 40 chunks all sit right next to the query crowd the raw chunk ranking.
      const near = Array.from({ length: 40 }, (_, index) => {
        const vector = query.map((value) => value + (random() - 0.5) * 0.01);
        return { ...randomChunks(random, 1)[0], index, offsetSeconds: index * 4, vector };
      });
      const crowd = await catalog.upsertStem({ ...randomStem(random), chunks: near });
      for (let i = 0; i < 10; i++) await catalog.upsertStem(randomStem(random));
      const hits = await catalog.search(query, { k: 6, instrument: 'bass' });
      expect(hits).toHaveLength(6);
      expect(hits[0].stem.id).toBe(crowd.id);
      expect(new Set(hits.map((hit) => hit.stem.id)).size).toBe(6);
    });

    it('keeps silent chunks but never matches them', async () => {
      const random = seededRandom(6);
      const input = randomStem(random, { chunks: randomChunks(random, 4, { silentEvery: 2 }) });
      const record = await catalog.upsertStem(input);
      expect(record.chunkCount).toBe(4);
      expect(record.indexedChunks).toBe(2);
      expect((await catalog.getStem(record.id))?.indexedChunks).toBe(2);
      const listed = await catalog.listStems({ limit: 10 });
      expect(listed.items.find((item) => item.id === record.id)?.indexedChunks).toBe(2);
      // A replacement recounts.
      const loud = await catalog.upsertStem({
        ...input,
        externalId: 'partly-silent',
        chunks: input.chunks.map((chunk) => ({ ...chunk, silent: false })),
      });
      expect(loud.indexedChunks).toBe(4);
      const quieter = await catalog.upsertStem({ ...input, externalId: 'partly-silent' });
      expect(quieter).toMatchObject({ id: loud.id, indexedChunks: 2 });
      await catalog.deleteStem(loud.id);
      const silentHits = await catalog.search(input.chunks[1].vector, { k: 1, instrument: 'bass' });
      expect(silentHits[0].chunk.index).not.toBe(1);
      const stats = await catalog.stats();
      expect(stats.byInstrument.bass).toMatchObject({ stems: 1, chunks: 4, indexed: 2 });
    });

    it('replaces a stem with the same external id atomically, keeping its id and creation time', async () => {
      const random = seededRandom(7);
      const first = randomStem(random, {
        externalId: 'song-1/bass',
        chunkCount: 3,
        metadata: { title: 'v1' },
      });
      const original = await catalog.upsertStem(first);
      const second = randomStem(random, {
        externalId: 'song-1/bass',
        instrument: 'synth',
        chunkCount: 2,
        metadata: { title: 'v2' },
      });
      const replaced = await catalog.upsertStem(second);

      expect(replaced.id).toBe(original.id);
      expect(replaced.createdAt).toBe(original.createdAt);
      expect(replaced).toMatchObject({ instrument: 'synth', chunkCount: 2, metadata: { title: 'v2' } });
      expect((await catalog.getChunks(original.id)).map((chunk) => chunk.vector)).toEqual(
        second.chunks.map((chunk) => chunk.vector),
      );
      // The old chunks are gone from the index; the new ones are found under the new instrument.
      expect(await catalog.search(first.chunks[0].vector, { k: 5, instrument: 'bass' })).toEqual([]);
      const hits = await catalog.search(second.chunks[1].vector, { k: 1, instrument: 'synth' });
      expect(hits[0].stem.id).toBe(original.id);
      // The same external id in another catalog is another stem.
      const elsewhere = await catalog.upsertStem({ ...second, catalog: 'other' });
      expect(elsewhere.id).not.toBe(original.id);
      expect((await catalog.stats()).stems).toBe(2);
    });

    it('deletes a stem from the store and from search', async () => {
      const random = seededRandom(8);
      const inputs = Array.from({ length: 5 }, () => randomStem(random));
      const records: StemRecord[] = [];
      for (const input of inputs) records.push(await catalog.upsertStem(input));

      expect(await catalog.deleteStem(records[2].id)).toBe(true);
      expect(await catalog.deleteStem(records[2].id)).toBe(false);
      expect(await catalog.getStem(records[2].id)).toBeNull();
      await expect(catalog.getChunks(records[2].id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const hits = await catalog.search(inputs[2].chunks[0].vector, { k: 5, instrument: 'bass' });
      expect(hits.map((hit) => hit.stem.id)).not.toContain(records[2].id);
      expect(hits).toHaveLength(4);

      const before = await catalog.stats();
      expect(before).toMatchObject({ stems: 4, chunks: 12, indexSize: 12 });
      if (backend.annTombstones) expect(before.byInstrument.bass?.deletedInIndex).toBe(3);
      await catalog.compact();
      const after = await catalog.stats();
      expect(after).toMatchObject({ stems: 4, chunks: 12, indexSize: 12 });
      expect(after.byInstrument.bass?.deletedInIndex).toBe(0);
      const afterCompact = await catalog.search(inputs[3].chunks[2].vector, { k: 1, instrument: 'bass' });
      expect(afterCompact[0].stem.id).toBe(records[3].id);
    });

    it('drops an instrument graph whose stems were all deleted when compacting', async () => {
      const random = seededRandom(14);
      const drums = await catalog.upsertStem(randomStem(random, { instrument: 'drums' }));
      const bass = randomStem(random);
      await catalog.upsertStem(bass);
      await catalog.deleteStem(drums.id);
      await catalog.compact();
      const stats = await catalog.stats();
      expect(stats.byInstrument.drums).toBeUndefined();
      expect(stats).toMatchObject({ stems: 1, indexSize: 3 });
      expect(await catalog.search(bass.chunks[0].vector, { k: 3, instrument: 'drums' })).toEqual([]);
      // Ingesting the instrument again starts a new graph.
      const again = randomStem(random, { instrument: 'drums' });
      const record = await catalog.upsertStem(again);
      expect((await catalog.search(again.chunks[2].vector, { k: 1, instrument: 'drums' }))[0].stem.id).toBe(
        record.id,
      );
    });

    it('pages through stems with opaque cursors, per filter', async () => {
      const random = seededRandom(9);
      const created: StemRecord[] = [];
      for (let i = 0; i < 23; i++) {
        created.push(
          await catalog.upsertStem(
            randomStem(random, {
              catalog: i % 2 === 0 ? 'even' : 'odd',
              instrument: i % 3 === 0 ? 'drums' : 'bass',
            }),
          ),
        );
      }
      const collect = async (
        filters: { catalog?: string; catalogs?: string[]; instrument?: 'bass' | 'drums' },
        limit: number,
      ) => {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await catalog.listStems({ ...filters, limit, cursor });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.items.map((item) => item.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor);
        return { seen, pages };
      };

      const all = await collect({}, 5);
      expect(all.seen).toEqual(created.map((record) => record.id));
      expect(all.pages).toBe(5);
      const evenDrums = await collect({ catalog: 'even', instrument: 'drums' }, 2);
      expect(evenDrums.seen).toEqual(
        created
          .filter((record) => record.catalog === 'even' && record.instrument === 'drums')
          .map((r) => r.id),
      );
      const exact = await collect({}, 23);
      expect(exact.pages).toBe(1);
      const readable = await collect({ catalogs: ['odd', 'elsewhere'] }, 3);
      expect(readable.seen).toEqual(created.filter((record) => record.catalog === 'odd').map((r) => r.id));
      expect((await catalog.listStems({ catalogs: [], limit: 5 })).items).toEqual([]);
      // A cursor is bound to its catalogs: it cannot be replayed to page through other ones.
      const oddPage = await catalog.listStems({ catalogs: ['odd'], limit: 2 });
      await expect(
        catalog.listStems({ catalogs: ['even'], limit: 2, cursor: oddPage.nextCursor }),
      ).rejects.toMatchObject({ code: 'INVALID_CURSOR' });

      // Deleting a stem between pages neither repeats nor skips the others.
      const first = await catalog.listStems({ limit: 10 });
      await catalog.deleteStem(created[10].id);
      const second = await catalog.listStems({ limit: 10, cursor: first.nextCursor });
      expect(second.items[0].id).toBe(created[11].id);
    });

    it('refuses bad cursors and limits with typed errors', async () => {
      await catalog.upsertStem(randomStem(seededRandom(10)));
      await catalog.upsertStem(randomStem(seededRandom(11)));
      const page = await catalog.listStems({ catalog: 'default', limit: 1 });
      expect(page.nextCursor).not.toBeNull();
      for (const cursor of [
        'garbage!',
        'bm90LWpzb24',
        Buffer.from('{"v":2,"after":1,"filter":"x"}').toString('base64url'),
      ]) {
        await expect(catalog.listStems({ limit: 1, cursor })).rejects.toMatchObject({
          code: 'INVALID_CURSOR',
        });
      }
      // A cursor is bound to the filters it was issued for.
      await expect(catalog.listStems({ limit: 1, cursor: page.nextCursor })).rejects.toMatchObject({
        code: 'INVALID_CURSOR',
      });
      await expect(catalog.listStems({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(catalog.listStems({ limit: 1001 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('refuses malformed embeddings and queries without writing anything', async () => {
      const random = seededRandom(12);
      const good = randomStem(random);
      const bad = [
        { ...good, chunks: [{ ...good.chunks[0], vector: new Float32Array(DIM + 1) }] },
        { ...good, chunks: [{ ...good.chunks[0], timeline: new Float32Array(DIM * 2 + 3) }] },
        { ...good, chunks: [{ ...good.chunks[0], patches: new Float32Array(0) }] },
      ];
      for (const input of bad)
        await expect(catalog.upsertStem(input)).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
      await expect(
        catalog.upsertStem({ ...good, chunks: [good.chunks[0], { ...good.chunks[1], index: 0 }] }),
      ).rejects.toMatchObject({ code: 'INVALID_CHUNKS' });
      await expect(
        catalog.upsertStem({ ...good, chunks: [{ ...good.chunks[0], vector: new Float32Array(DIM) }] }),
      ).rejects.toMatchObject({ code: 'INVALID_CHUNKS' });
      for (const input of [
        { ...good, instrument: '../escape' as 'bass' },
        { ...good, catalog: '' },
        { ...good, durationSeconds: Number.NaN },
      ]) {
        await expect(catalog.upsertStem(input)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      await expect(
        catalog.upsertStem({ ...good, chunks: [{ ...good.chunks[0], offsetSeconds: -1 }] }),
      ).rejects.toMatchObject({ code: 'INVALID_CHUNKS' });
      expect((await catalog.stats()).stems).toBe(0);

      await catalog.upsertStem(good);
      await expect(
        catalog.search(good.chunks[0].vector, { k: 1, instrument: 'kazoo' as 'bass' }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(
        catalog.search(new Float32Array(DIM - 1), { k: 1, instrument: 'bass' }),
      ).rejects.toMatchObject({
        code: 'DIMENSION_MISMATCH',
      });
      await expect(catalog.search(new Float32Array(DIM), { k: 1, instrument: 'bass' })).rejects.toMatchObject(
        {
          code: 'INVALID_ARGUMENT',
        },
      );
      await expect(catalog.search(good.chunks[0].vector, { k: 0, instrument: 'bass' })).rejects.toMatchObject(
        {
          code: 'INVALID_ARGUMENT',
        },
      );
    });

    it('refuses to reopen a store with another model, and to work once closed', async () => {
      await catalog.upsertStem(randomStem(seededRandom(13)));
      await catalog.close();
      await expect(workspace.open({ dim: DIM, modelId: 'other-model@1' })).rejects.toMatchObject({
        code: 'MODEL_MISMATCH',
      });
      await expect(workspace.open({ dim: DIM * 2, modelId: 'test-model@1' })).rejects.toMatchObject({
        code: 'MODEL_MISMATCH',
      });
      await expect(catalog.getStem('x')).rejects.toMatchObject({ code: 'CATALOG_CLOSED' });
      await catalog.close(); // idempotent
      catalog = await workspace.open(MODEL);
      expect((await catalog.stats()).stems).toBe(1);
    });

    describe('job store', () => {
      it('tracks a job from pending to completed with per-file errors and totals', async () => {
        const job = await catalog.jobs.createJob(items(3));
        expect(job).toMatchObject({
          state: 'pending',
          totals: { total: 3, pending: 3, running: 0, done: 0, failed: 0 },
          errors: [],
          finishedAt: null,
        });

        const first = await catalog.jobs.claimNextItem(job.id);
        expect(first).toMatchObject({
          position: 0,
          state: 'running',
          attempts: 1,
          externalId: null,
          jobId: job.id,
        });
        expect(first?.source).toEqual({
          type: 'staged',
          path: '/data/staging/file-0.wav',
          filename: 'file-0.wav',
        });
        expect(first?.metadata).toEqual({ title: 'File 0', tags: ['batch'] });
        await catalog.jobs.completeItem(first!.id, 'stem-a');
        expect(await catalog.jobs.getJob(job.id)).toMatchObject({
          state: 'running',
          totals: { total: 3, pending: 2, running: 0, done: 1, failed: 0 },
        });

        const second = await catalog.jobs.claimNextItem();
        expect(second?.position).toBe(1);
        await catalog.jobs.failItem(second!.id, { code: 'TRUNCATED', message: 'file ends mid-frame' });
        const third = await catalog.jobs.claimNextItem(job.id);
        await catalog.jobs.completeItem(third!.id, 'stem-c');
        expect(await catalog.jobs.claimNextItem(job.id)).toBeNull();

        const finished = await catalog.jobs.getJob(job.id);
        expect(finished).toMatchObject({
          state: 'completed',
          totals: { total: 3, pending: 0, running: 0, done: 2, failed: 1 },
          errors: [
            {
              position: 1,
              code: 'TRUNCATED',
              message: 'file ends mid-frame',
              source: { filename: 'file-1.wav' },
            },
          ],
        });
        expect(finished?.finishedAt).not.toBeNull();
        expect((await catalog.jobs.listItems(job.id, { state: 'done' })).map((item) => item.stemId)).toEqual([
          'stem-a',
          'stem-c',
        ]);
        expect(await catalog.jobs.listUnfinishedJobs()).toEqual([]);
      });

      it('resumes unfinished jobs after a restart, re-queueing interrupted items', async () => {
        const a = await catalog.jobs.createJob(items(2));
        const b = await catalog.jobs.createJob(items(1));
        const claimed = await catalog.jobs.claimNextItem();
        expect(claimed?.jobId).toBe(a.id);
        // The process dies here, with the item still running.
        await catalog.close();
        catalog = await workspace.open(MODEL);

        expect((await catalog.jobs.listUnfinishedJobs()).map((job) => job.id)).toEqual([a.id, b.id]);
        expect(await catalog.jobs.requeueInterrupted()).toBe(1);
        const again = await catalog.jobs.claimNextItem();
        expect(again).toMatchObject({ id: claimed!.id, attempts: 2 });
        await catalog.jobs.completeItem(again!.id, 'stem-1');
        for (let item = await catalog.jobs.claimNextItem(); item; item = await catalog.jobs.claimNextItem()) {
          await catalog.jobs.completeItem(item.id, `stem-${item.id}`);
        }
        expect(await catalog.jobs.listUnfinishedJobs()).toEqual([]);
        expect((await catalog.jobs.getJob(b.id))?.state).toBe('completed');
      });

      it('refuses empty jobs and unknown ids with typed errors', async () => {
        await expect(catalog.jobs.createJob([])).rejects.toMatchObject({ code: 'INVALID_JOB' });
        expect(await catalog.jobs.getJob('nope')).toBeNull();
        await expect(catalog.jobs.listItems('nope')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
        await expect(catalog.jobs.completeItem(12345, 'x')).rejects.toMatchObject({ code: 'INVALID_JOB' });
      });
    });
  });
}
