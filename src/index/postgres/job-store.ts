import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Instrument } from '../../instruments.js';
import { InvalidJobError, JobNotFoundError } from '../errors.js';
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
} from '../types.js';
import { inTransaction } from './transaction.js';

/**
 * Batch ingestion jobs in PostgreSQL, shared by every replica. Claims use
 * `FOR UPDATE SKIP LOCKED`, so replicas never take the same item. An uploaded file is staged on
 * the disk of the replica that received it, so staged items are only claimed by that replica
 * (its `replicaId`); server-path items may run anywhere.
 */

interface ItemRow {
  id: string;
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
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface PostgresJobStoreOptions {
  pool: Pool;
  /** Qualifies a table name with the catalog's schema. */
  table: (name: string) => string;
  replicaId: string;
  /** This open catalog's session: running items are marked with it. */
  session: string;
  /** A session not seen for this long is presumed dead: its running items may be requeued. */
  replicaLeaseMs: number;
  assertOpen: () => void;
}

export class PostgresJobStore implements JobStore {
  constructor(private readonly options: PostgresJobStoreOptions) {}

  async createJob(items: JobItemInput[]): Promise<JobRecord> {
    this.options.assertOpen();
    if (items.length === 0) throw new InvalidJobError('a job needs at least one item');
    const t = this.options.table;
    const id = randomUUID();
    const now = new Date();
    return inTransaction(this.options.pool, async (client) => {
      await client.query(`INSERT INTO ${t('jobs')} (id, created_at, updated_at) VALUES ($1, $2, $2)`, [
        id,
        now,
      ]);
      await client.query(
        `INSERT INTO ${t('job_items')}
           (job_id, position, source, source_type, instrument, catalog, external_id, metadata, state, origin)
         SELECT $1, position - 1, source, source_type, instrument, catalog, external_id, metadata, 'pending', $2
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           WITH ORDINALITY AS item (source, source_type, instrument, catalog, external_id, metadata, position)`,
        [
          id,
          this.options.replicaId,
          items.map((item) => JSON.stringify(item.source)),
          items.map((item) => item.source.type),
          items.map((item) => item.instrument),
          items.map((item) => item.catalog),
          items.map((item) => item.externalId),
          items.map((item) => JSON.stringify(item.metadata)),
        ],
      );
      return this.jobOrThrow(client, id);
    });
  }

  async getJob(id: string): Promise<JobRecord | null> {
    this.options.assertOpen();
    return inTransaction(
      this.options.pool,
      async (client) => {
        const row = await this.jobRow(client, id);
        return row ? this.toJob(client, row) : null;
      },
      'read only',
    );
  }

  async listItems(jobId: string, options: { state?: JobItemState } = {}): Promise<JobItem[]> {
    this.options.assertOpen();
    const t = this.options.table;
    return inTransaction(
      this.options.pool,
      async (client) => {
        if (!(await this.jobRow(client, jobId))) throw new JobNotFoundError(jobId);
        const { rows } = await client.query<ItemRow>(
          `SELECT * FROM ${t('job_items')} WHERE job_id = $1 AND ($2::text IS NULL OR state = $2) ORDER BY position`,
          [jobId, options.state ?? null],
        );
        return rows.map(toItem);
      },
      'read only',
    );
  }

  async claimNextItem(jobId?: string): Promise<JobItem | null> {
    this.options.assertOpen();
    const t = this.options.table;
    return inTransaction(this.options.pool, async (client) => {
      const { rows } = await client.query<ItemRow>(
        `UPDATE ${t('job_items')} SET state = 'running', attempts = attempts + 1, claimed_by = $3
         WHERE id = (
           SELECT id FROM ${t('job_items')}
           WHERE state = 'pending' AND ($2::text IS NULL OR job_id = $2)
             AND (source_type <> 'staged' OR origin = $1)
           ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [this.options.replicaId, jobId ?? null, this.options.session],
      );
      const row = rows[0];
      if (!row) return null;
      await this.touchJob(client, row.job_id);
      return toItem(row);
    });
  }

  async completeItem(itemId: number, stemId: string): Promise<void> {
    await this.finishItem(itemId, `state = 'done', stem_id = $2, error_code = NULL, error_message = NULL`, [
      stemId,
    ]);
  }

  async failItem(itemId: number, error: { code: string; message: string }): Promise<void> {
    await this.finishItem(itemId, `state = 'failed', error_code = $2, error_message = $3`, [
      error.code,
      error.message,
    ]);
  }

  /**
   * Requeues the running items of sessions that are gone: closed, past their lease (crashed), or
   * an earlier life of a replica that has since reopened. Live sessions keep theirs.
   */
  async requeueInterrupted(): Promise<number> {
    this.options.assertOpen();
    const t = this.options.table;
    return inTransaction(this.options.pool, async (client) => {
      const result = await client.query(
        `UPDATE ${t('job_items')} SET state = 'pending', claimed_by = NULL
         WHERE state = 'running' AND (
           claimed_by IS NULL OR claimed_by NOT IN (
             SELECT session FROM ${t('replicas')} WHERE last_seen > now() - make_interval(secs => $1)))`,
        [this.options.replicaLeaseMs / 1000],
      );
      return result.rowCount ?? 0;
    });
  }

  async listUnfinishedJobs(): Promise<JobRecord[]> {
    this.options.assertOpen();
    const t = this.options.table;
    return inTransaction(
      this.options.pool,
      async (client) => {
        const { rows } = await client.query<JobRow>(
          `SELECT * FROM ${t('jobs')} WHERE finished_at IS NULL ORDER BY seq`,
        );
        const jobs: JobRecord[] = [];
        for (const row of rows) jobs.push(await this.toJob(client, row));
        return jobs;
      },
      'read only',
    );
  }

  private async finishItem(itemId: number, assignments: string, values: unknown[]): Promise<void> {
    this.options.assertOpen();
    const t = this.options.table;
    await inTransaction(this.options.pool, async (client) => {
      const { rows } = await client.query<{ job_id: string }>(
        `UPDATE ${t('job_items')} SET ${assignments} WHERE id = $1 RETURNING job_id`,
        [itemId, ...values],
      );
      const jobId = rows[0]?.job_id;
      if (jobId === undefined) throw new InvalidJobError(`job item ${itemId} does not exist`);
      // Locks the job row, so two replicas finishing a job's last items see each other's updates.
      const now = await this.touchJob(client, jobId);
      const open = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${t('job_items')} WHERE job_id = $1 AND state IN ('pending', 'running')`,
        [jobId],
      );
      if (Number(open.rows[0].n) === 0) {
        await client.query(`UPDATE ${t('jobs')} SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL`, [
          jobId,
          now,
        ]);
      }
    });
  }

  private async touchJob(client: PoolClient, jobId: string): Promise<Date> {
    const now = new Date();
    await client.query(`UPDATE ${this.options.table('jobs')} SET updated_at = $2 WHERE id = $1`, [
      jobId,
      now,
    ]);
    return now;
  }

  private async jobRow(client: PoolClient, id: string): Promise<JobRow | null> {
    const { rows } = await client.query<JobRow>(`SELECT * FROM ${this.options.table('jobs')} WHERE id = $1`, [
      id,
    ]);
    return rows[0] ?? null;
  }

  private async jobOrThrow(client: PoolClient, id: string): Promise<JobRecord> {
    const row = await this.jobRow(client, id);
    if (!row) throw new JobNotFoundError(id);
    return this.toJob(client, row);
  }

  private async toJob(client: PoolClient, row: JobRow): Promise<JobRecord> {
    const t = this.options.table;
    const counts = await client.query<{ state: JobItemState; n: string }>(
      `SELECT state, count(*) AS n FROM ${t('job_items')} WHERE job_id = $1 GROUP BY state`,
      [row.id],
    );
    const totals: JobTotals = { total: 0, pending: 0, running: 0, done: 0, failed: 0 };
    for (const { state, n } of counts.rows) {
      totals[state] = Number(n);
      totals.total += Number(n);
    }
    const failures = await client.query<
      Pick<ItemRow, 'position' | 'source' | 'error_code' | 'error_message'>
    >(
      `SELECT position, source, error_code, error_message FROM ${t('job_items')}
       WHERE job_id = $1 AND state = 'failed' ORDER BY position`,
      [row.id],
    );
    return {
      id: row.id,
      state: jobState(totals, row.finished_at),
      totals,
      errors: failures.rows.map((failure) => ({
        position: failure.position,
        source: JSON.parse(failure.source) as JobItemSource,
        code: failure.error_code ?? 'UNKNOWN',
        message: failure.error_message ?? '',
      })),
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      finishedAt: row.finished_at?.toISOString() ?? null,
    };
  }
}

function jobState(totals: JobTotals, finishedAt: Date | null): JobState {
  if (finishedAt !== null) return 'completed';
  return totals.pending === totals.total ? 'pending' : 'running';
}

function toItem(row: ItemRow): JobItem {
  return {
    id: Number(row.id),
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
