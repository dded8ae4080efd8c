import { InvalidArgumentError } from '../errors.js';

/** `STEMDEX_STORE` values that select this backend. */
export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//i.test(store);
}

/**
 * Splits `postgres://…?schema=name&pool_size=n` into the URL node-postgres gets and our own
 * options: `schema` and `pool_size` are not libpq parameters, so they must not reach the driver.
 */
export function parsePostgresStore(store: string): {
  connectionString: string;
  schema?: string;
  poolSize?: number;
} {
  let url: URL;
  try {
    url = new URL(store);
  } catch {
    throw new InvalidArgumentError('STEMDEX_STORE is not a valid postgres:// URL');
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  const poolSizeText = url.searchParams.get('pool_size');
  const poolSize = poolSizeText === null ? undefined : Number(poolSizeText);
  if (poolSize !== undefined && (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000)) {
    throw new InvalidArgumentError(
      `STEMDEX_STORE pool_size must be an integer in 1..1000, got ${poolSizeText}`,
    );
  }
  url.searchParams.delete('schema');
  url.searchParams.delete('pool_size');
  return { connectionString: url.toString(), schema, poolSize };
}
