import { randomUUID } from 'node:crypto';
import type { Instrument } from '../instruments.js';
import type { Db } from './database.js';
import { InvalidJobError, JobNotFoundError } from './errors.js';
import type {
  JobItem,
  JobItemInput,
  JobItemSource,
  JobItemState,
  JobRecord,
  JobState,
  JobStore,
  JobTotals,
  StemMetadata,
} from './types.js';

/**
 * Batch ingestion jobs in the catalog's SQLite file. A job and all its items are written in one
 * transaction before `createJob` resolves, so an acknowledged job id always resumes after a
 * crash: items a dead process left `running` are re-queued by `requeueInterrupted()`.
 */

interface ItemRow {
  id: number;
  job_id: string;
  position: number;
  source: string;
  instrument: string;
  catalog: string;
  external_id: string | null;
  metadata: string;
  state: JobItemState;
  attempts: number;
  stem_id: string | null;
  error_code: string | null;
  error_message: string | null;
}

interface JobRow {
  id: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export class SqliteJobStore implements JobStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async createJob(items: JobItemInput[]): Promise<JobRecord> {
    if (items.length === 0) throw new InvalidJobError('a job needs at least one item');
    const id = randomUUID();
    const now = new Date().toISOString();
    const insertItem = this.db.prepare(
      `INSERT INTO job_items (job_id, position, source, instrument, catalog, external_id, metadata, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
    );
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO jobs (id, created_at, updated_at) VALUES (?, ?, ?)').run(id, now, now);
      items.forEach((item, position) => {
        insertItem.run(
          id,
          position,
          JSON.stringify(item.source),
          item.instrument,
          item.catalog,
          item.externalId,
          JSON.stringify(item.metadata),
        );
      });
    })();
    return this.jobOrThrow(id);
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? this.toJob(row) : null;
  }

  async listItems(jobId: string, options: { state?: JobItemState } = {}): Promise<JobItem[]> {
    if (!this.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(jobId)) throw new JobNotFoundError(jobId);
    const rows = (
      options.state === undefined
        ? this.db.prepare('SELECT * FROM job_items WHERE job_id = ? ORDER BY position').all(jobId)
        : this.db
            .prepare('SELECT * FROM job_items WHERE job_id = ? AND state = ? ORDER BY position')
            .all(jobId, options.state)
    ) as ItemRow[];
    return rows.map(toItem);
  }

  async claimNextItem(jobId?: string): Promise<JobItem | null> {
    return this.db.transaction(() => {
      const row = (
        jobId === undefined
          ? this.db.prepare(`SELECT * FROM job_items WHERE state = 'pending' ORDER BY id LIMIT 1`).get()
          : this.db
              .prepare(`SELECT * FROM job_items WHERE state = 'pending' AND job_id = ? ORDER BY id LIMIT 1`)
              .get(jobId)
      ) as ItemRow | undefined;
      if (!row) return null;
      this.db
        .prepare(`UPDATE job_items SET state = 'running', attempts = attempts + 1 WHERE id = ?`)
        .run(row.id);
      this.touchJob(row.job_id);
      return toItem({ ...row, state: 'running', attempts: row.attempts + 1 });
    })();
  }

  async completeItem(itemId: number, stemId: string): Promise<void> {
    this.finishItem(itemId, (id) =>
      this.db
        .prepare(
          `UPDATE job_items SET state = 'done', stem_id = ?, error_code = NULL, error_message = NULL WHERE id = ?`,
        )
        .run(stemId, id),
    );
  }

  async failItem(itemId: number, error: { code: string; message: string }): Promise<void> {
    this.finishItem(itemId, (id) =>
      this.db
        .prepare(`UPDATE job_items SET state = 'failed', error_code = ?, error_message = ? WHERE id = ?`)
        .run(error.code, error.message, id),
    );
  }

  async requeueInterrupted(): Promise<number> {
    return this.db.prepare(`UPDATE job_items SET state = 'pending' WHERE state = 'running'`).run().changes;
  }

  async listUnfinishedJobs(): Promise<JobRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM jobs WHERE finished_at IS NULL ORDER BY rowid')
      .all() as JobRow[];
    return rows.map((row) => this.toJob(row));
  }

  private finishItem(itemId: number, update: (id: number) => unknown): void {
    this.db.transaction(() => {
      const row = this.db.prepare('SELECT job_id, state FROM job_items WHERE id = ?').get(itemId) as
        | { job_id: string; state: JobItemState }
        | undefined;
      if (!row) throw new InvalidJobError(`job item ${itemId} does not exist`);
      update(itemId);
      const now = this.touchJob(row.job_id);
      const open = this.db
        .prepare(`SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state IN ('pending', 'running')`)
        .pluck()
        .get(row.job_id) as number;
      if (open === 0) {
        this.db
          .prepare('UPDATE jobs SET finished_at = ? WHERE id = ? AND finished_at IS NULL')
          .run(now, row.job_id);
      }
    })();
  }

  private touchJob(jobId: string): string {
    const now = new Date().toISOString();
    this.db.prepare('UPDATE jobs SET updated_at = ? WHERE id = ?').run(now, jobId);
    return now;
  }

  private jobOrThrow(id: string): JobRecord {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) throw new JobNotFoundError(id);
    return this.toJob(row);
  }

  private toJob(row: JobRow): JobRecord {
    const counts = this.db
      .prepare('SELECT state, COUNT(*) AS n FROM job_items WHERE job_id = ? GROUP BY state')
      .all(row.id) as Array<{ state: JobItemState; n: number }>;
    const totals: JobTotals = { total: 0, pending: 0, running: 0, done: 0, failed: 0 };
    for (const { state, n } of counts) {
      totals[state] = n;
      totals.total += n;
    }
    const failures = this.db
      .prepare(
        `SELECT position, source, error_code, error_message FROM job_items
         WHERE job_id = ? AND state = 'failed' ORDER BY position`,
      )
      .all(row.id) as Array<Pick<ItemRow, 'position' | 'source' | 'error_code' | 'error_message'>>;
    return {
      id: row.id,
      state: jobState(totals, row.finished_at),
      totals,
      errors: failures.map((failure) => ({
        position: failure.position,
        source: JSON.parse(failure.source) as JobItemSource,
        code: failure.error_code ?? 'UNKNOWN',
        message: failure.error_message ?? '',
      })),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
    };
  }
}

function jobState(totals: JobTotals, finishedAt: string | null): JobState {
  if (finishedAt !== null) return 'completed';
  return totals.pending === totals.total ? 'pending' : 'running';
}

function toItem(row: ItemRow): JobItem {
  return {
    id: row.id,
    jobId: row.job_id,
    position: row.position,
    source: JSON.parse(row.source) as JobItemSource,
    instrument: row.instrument as Instrument,
    catalog: row.catalog,
    externalId: row.external_id,
    metadata: JSON.parse(row.metadata) as StemMetadata,
    state: row.state,
    attempts: row.attempts,
    stemId: row.stem_id,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
  };
}
