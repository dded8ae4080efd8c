import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` on one pooled connection inside BEGIN … COMMIT (ROLLBACK on any error).
 *
 * Every catalog query goes through here, reads included, for two reasons: multi-statement reads
 * (search, job totals) see one consistent snapshot, and servers that multiplex several client
 * connections onto one backend session (PGlite's socket server, used by the tests) keep a
 * connection's statements together only while it is inside an explicit transaction block.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  mode: 'read write' | 'read only' = 'read write',
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(mode === 'read only' ? 'BEGIN READ ONLY' : 'BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is unusable (server gone?): drop it from the pool instead of reusing it.
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Quotes an SQL identifier (schema name), doubling embedded quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
