import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CatalogStore, type JobItemInput, openLocalCatalog } from '../../src/index/index.js';
import { DIM, temporaryDir } from './fixtures.js';

const MODEL = { dim: DIM, modelId: 'test-model@1' };

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

describe('job store', () => {
  let dir: ReturnType<typeof temporaryDir>;
  let catalog: CatalogStore;

  beforeEach(async () => {
    dir = temporaryDir('jobs');
    catalog = await openLocalCatalog({ dataDir: dir.path, ...MODEL });
  });

  afterEach(async () => {
    await catalog.close();
    dir.remove();
  });

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
    catalog = await openLocalCatalog({ dataDir: dir.path, ...MODEL });

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
