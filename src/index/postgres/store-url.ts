import { InvalidArgumentError } from '../errors.js';

/** `STEMDEX_STORE` values that select this backend. */
export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//i.test(store);
}

/**
 * Splits `postgres://…?schema=name` into the URL node-postgres gets and the catalog schema:
 * `schema` is ours, not a libpq parameter, so it must not reach the driver.
 */
export function parsePostgresStore(store: string): { connectionString: string; schema?: string } {
  let url: URL;
  try {
    url = new URL(store);
  } catch {
    throw new InvalidArgumentError('STEMDEX_STORE is not a valid postgres:// URL');
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}
