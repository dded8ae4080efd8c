import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * A real PostgreSQL (PGlite: PostgreSQL compiled to WASM, with its bundled pgvector) served over
 * the PostgreSQL wire protocol on a random loopback port, so the catalog's `pg` client code runs
 * exactly as against a production server. In-memory; gone when stopped.
 *
 * PGlite is one backend session: the socket server multiplexes client connections onto it and
 * keeps one connection's statements together only inside an explicit transaction block, which
 * is why the catalog runs every query in BEGIN … COMMIT (see `src/index/postgres/transaction.ts`).
 */
export interface PgliteServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  stop(): Promise<void>;
}

export async function startPgliteServer(options: { maxConnections?: number } = {}): Promise<PgliteServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: options.maxConnections ?? 32,
  });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * The PostgreSQL the tests use: `STEMDEX_TEST_POSTGRES_URL` when set (a real server with pgvector,
 * to run the same suites against production-grade PostgreSQL; tests only touch their own schemas),
 * else a fresh PGlite server.
 */
export async function startTestPostgres(): Promise<PgliteServer> {
  const external = process.env.STEMDEX_TEST_POSTGRES_URL;
  if (external) return { url: external, async stop() {} };
  return startPgliteServer();
}

let schemaCounter = 0;

/** A schema name no other test in this process uses, so tests share one server without sharing data. */
export function uniqueSchema(prefix = 'test'): string {
  schemaCounter++;
  return `${prefix}_${process.pid}_${schemaCounter}`;
}
