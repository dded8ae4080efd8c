import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { AudioStore } from '../index/audio-store.js';
import type { CatalogStore, JobItem, JobItemInput, JobRecord } from '../index/types.js';
import { toApiError } from '../server/errors.js';
import type { EmbeddingModel } from '../server/ports.js';
import { ingestStem } from './ingest-stem.js';
import { resolveUnderRoot } from './safe-path.js';
import type { Staging } from './staging.js';

export interface IngestRunnerOptions {
  catalog: CatalogStore;
  model: EmbeddingModel;
  staging: Staging;
  ingestRoot: string | null;
  maxAudioSeconds: number;
  logger: Logger;
  /** Where each ingested stem's original audio is kept (null: not kept). */
  audio: AudioStore | null;
  /** Items embedded at once; two keep the model's micro-batcher fed without hogging it. */
  concurrency?: number;
}

const QUEUE_FULL_BACKOFF_MS = 250;
const STORE_RETRY_MS = 1000;

class Interrupted extends Error {}

/**
 * Works through batch-ingestion job items one claim at a time. Every state change goes through the
 * durable job store, so after a crash `start()` puts interrupted items back and simply carries on.
 */
export class IngestRunner {
  private readonly options: Required<IngestRunnerOptions>;
  private readonly workers: Promise<void>[] = [];
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private wakeSignal: Promise<void> = Promise.resolve();

  constructor(options: IngestRunnerOptions) {
    this.options = { concurrency: 2, ...options };
    this.resetWakeSignal();
  }

  /** Resumes unfinished jobs and starts the workers. */
  async start(): Promise<void> {
    const { catalog, staging, logger } = this.options;
    const requeued = await catalog.jobs.requeueInterrupted();
    const unfinished = await catalog.jobs.listUnfinishedJobs();
    const referenced = new Set<string>();
    for (const job of unfinished) {
      for (const item of await catalog.jobs.listItems(job.id)) {
        if (item.source.type === 'staged') referenced.add(item.source.path);
      }
    }
    const orphans = await staging.removeOrphans(referenced);
    if (unfinished.length > 0 || orphans.length > 0) {
      logger.info({ jobs: unfinished.length, requeued, orphans: orphans.length }, 'resuming ingestion jobs');
    }
    for (let i = 0; i < this.options.concurrency; i++) this.workers.push(this.work());
  }

  /** Durably records a job, then lets the workers pick it up. */
  async submit(items: JobItemInput[]): Promise<JobRecord> {
    const job = await this.options.catalog.jobs.createJob(items);
    this.notify();
    return job;
  }

  /** Finishes the items in progress; pending ones stay queued for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    await Promise.all(this.workers);
    this.workers.length = 0;
  }

  private notify(): void {
    this.wakeUp?.();
    this.resetWakeSignal();
  }

  private resetWakeSignal(): void {
    this.wakeSignal = new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  private async work(): Promise<void> {
    while (!this.stopping) {
      const signal = this.wakeSignal;
      try {
        const item = await this.options.catalog.jobs.claimNextItem();
        if (item === null) await signal;
        else await this.process(item);
      } catch (error) {
        // The job store itself failed (disk full, closing): keep the worker alive and retry later;
        // the item stays `running` and is requeued at the next start at worst.
        this.options.logger.error({ err: error }, 'ingestion worker failed, retrying');
        await Promise.race([signal, new Promise((resolve) => setTimeout(resolve, STORE_RETRY_MS))]);
      }
    }
  }

  private async process(item: JobItem): Promise<void> {
    const { catalog, logger } = this.options;
    try {
      const bytes = await this.readSource(item);
      const stem = await this.ingestWithBackoff(item, bytes);
      await catalog.jobs.completeItem(item.id, stem.id);
    } catch (thrown) {
      // Left `running`: the next start requeues it.
      if (thrown instanceof Interrupted) return;
      const error = toApiError(thrown);
      if (error.statusCode >= 500 && error.code !== 'QUEUE_FULL') {
        logger.error({ err: thrown, jobId: item.jobId, position: item.position }, 'ingestion item failed');
      }
      await catalog.jobs.failItem(item.id, { code: error.code, message: error.message });
    }
    if (item.source.type === 'staged') await this.discardStaged(item);
  }

  private async readSource(item: JobItem): Promise<Uint8Array> {
    if (item.source.type === 'staged') return readFile(item.source.path);
    if (this.options.ingestRoot === null) {
      throw Object.assign(new Error('manifest ingestion is disabled (STEMDEX_INGEST_ROOT unset)'), {
        code: 'PATH_NOT_ALLOWED',
      });
    }
    // Resolved again here: the file may have been swapped for a symlink since the job was accepted.
    return readFile(await resolveUnderRoot(this.options.ingestRoot, item.source.path));
  }

  /** The runner is a background client: on a full inference queue it waits instead of failing. */
  private async ingestWithBackoff(item: JobItem, bytes: Uint8Array) {
    const { model, catalog, maxAudioSeconds, audio } = this.options;
    for (;;) {
      try {
        return await ingestStem({ model, catalog, maxAudioSeconds, audio: audio ?? undefined }, bytes, item);
      } catch (thrown) {
        if ((thrown as { code?: unknown }).code !== 'QUEUE_FULL') throw thrown;
        if (this.stopping) throw new Interrupted();
        await new Promise((resolve) => setTimeout(resolve, QUEUE_FULL_BACKOFF_MS));
      }
    }
  }

  /** Deletes the item's upload, and the job's staging folder once the whole job is complete. */
  private async discardStaged(item: JobItem): Promise<void> {
    await rm(item.source.path, { force: true });
    const job = await this.options.catalog.jobs.getJob(item.jobId);
    if (job?.state === 'completed') {
      await this.options.staging.discard(dirname(item.source.path)).catch(() => undefined);
    }
  }
}
