import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Scoped API keys. The service never holds a key itself, only its sha256 digest with a name, a
 * role and optionally the catalogs the key may touch, one key per line:
 *
 *     name=partner-a role=write catalogs=partner-a,samples sha256=<64 hex digits>
 *
 * `read` may search, list and fetch; `write` may also upload and delete; `admin` may also compact
 * and read catalog-wide statistics, so an admin key is never limited to some catalogs. A key
 * without `catalogs` may touch every catalog.
 */

export const API_KEY_ROLES = ['read', 'write', 'admin'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export interface ApiKeySpec {
  name: string;
  role: ApiKeyRole;
  /** null: every catalog. */
  catalogs: readonly string[] | null;
  /** sha256 of the key, lower-case hex. */
  sha256: string;
}

/** Shortest key accepted: below this a key is guessable in a rate-limited lifetime. */
export const MIN_KEY_LENGTH = 16;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Same rule as the API's catalog names (src/server/schemas.ts). */
const CATALOG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function roleAllows(role: ApiKeyRole, needed: ApiKeyRole): boolean {
  return API_KEY_ROLES.indexOf(role) >= API_KEY_ROLES.indexOf(needed);
}

export function sha256Hex(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class ApiKeyLineError extends Error {
  override readonly name = 'ApiKeyLineError';
}

/** Parses one key line (format above); throws `ApiKeyLineError` naming what is wrong. */
export function parseApiKeyLine(line: string): ApiKeySpec {
  const fields = new Map<string, string>();
  for (const token of line.trim().split(/\s+/)) {
    const at = token.indexOf('=');
    if (at <= 0) throw new ApiKeyLineError(`expected name=value, got ${JSON.stringify(token)}`);
    const field = token.slice(0, at);
    if (fields.has(field)) throw new ApiKeyLineError(`${field} given twice`);
    fields.set(field, token.slice(at + 1));
  }
  for (const field of fields.keys()) {
    if (!['name', 'role', 'catalogs', 'sha256'].includes(field)) {
      throw new ApiKeyLineError(`unknown field ${JSON.stringify(field)} (name, role, catalogs, sha256)`);
    }
  }
  const name = fields.get('name') ?? '';
  if (!NAME.test(name)) throw new ApiKeyLineError('name must be 1-64 of A-Z a-z 0-9 . _ -');
  const role = fields.get('role') as ApiKeyRole | undefined;
  if (role === undefined || !API_KEY_ROLES.includes(role)) {
    throw new ApiKeyLineError(`role must be one of ${API_KEY_ROLES.join(', ')}`);
  }
  const sha256 = (fields.get('sha256') ?? '').toLowerCase();
  if (!SHA256.test(sha256)) throw new ApiKeyLineError('sha256 must be 64 hex digits');
  const catalogsText = fields.get('catalogs');
  let catalogs: string[] | null = null;
  if (catalogsText !== undefined) {
    catalogs = catalogsText.split(',');
    const bad = catalogs.find((catalog) => !CATALOG.test(catalog));
    if (bad !== undefined) throw new ApiKeyLineError(`invalid catalog name ${JSON.stringify(bad)}`);
    if (role === 'admin') throw new ApiKeyLineError('an admin key acts on every catalog: drop catalogs=');
  }
  return { name, role, catalogs, sha256 };
}

export function formatApiKeyLine(spec: ApiKeySpec): string {
  const catalogs = spec.catalogs === null ? '' : ` catalogs=${spec.catalogs.join(',')}`;
  return `name=${spec.name} role=${spec.role}${catalogs} sha256=${spec.sha256}`;
}

/**
 * Key lines from a file or an environment variable: one per line (`;` also separates, for
 * environments that cannot hold newlines); blank lines and `#` comments are skipped. Errors name
 * the line.
 */
export function parseApiKeyLines(text: string, source: string): ApiKeySpec[] {
  const specs: ApiKeySpec[] = [];
  const lines = text.split(/\r?\n|;/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    try {
      specs.push(parseApiKeyLine(line));
    } catch (error) {
      throw new ApiKeyLineError(`${source} entry ${index + 1}: ${(error as Error).message}`);
    }
  }
  return specs;
}

/**
 * A new random key (256 bits, URL-safe) and the line that configures it; or, given an existing
 * key (migrating from plain-text STEMDEX_API_KEYS), that key's line.
 */
export function createApiKey(
  options: Omit<ApiKeySpec, 'sha256'>,
  existingKey?: string,
): { key: string; line: string } {
  const key = existingKey ?? `sdx_${randomBytes(32).toString('base64url')}`;
  if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
    throw new ApiKeyLineError(`a key must be at least ${MIN_KEY_LENGTH} characters, without spaces`);
  }
  const spec = parseApiKeyLine(formatApiKeyLine({ ...options, sha256: sha256Hex(key) }));
  return { key, line: formatApiKeyLine(spec) };
}

/** Who a request authenticated as. */
export interface ApiKeyIdentity {
  name: string;
  role: ApiKeyRole;
  catalogs: ReadonlySet<string> | null;
}

/**
 * The configured keys. `match` hashes the presented key and compares it with every digest in
 * constant time, so neither which key matched nor how much of a digest matched shows in timing.
 */
export class Keyring {
  private readonly entries: Array<{ digest: Buffer; identity: ApiKeyIdentity }>;

  constructor(specs: readonly ApiKeySpec[]) {
    const names = new Set<string>();
    const digests = new Set<string>();
    for (const spec of specs) {
      if (names.has(spec.name)) throw new ApiKeyLineError(`two keys are named ${spec.name}`);
      if (digests.has(spec.sha256))
        throw new ApiKeyLineError(`key ${spec.name} has the digest of another key`);
      names.add(spec.name);
      digests.add(spec.sha256);
    }
    this.entries = specs.map((spec) => ({
      digest: Buffer.from(spec.sha256, 'hex'),
      identity: {
        name: spec.name,
        role: spec.role,
        catalogs: spec.catalogs === null ? null : new Set(spec.catalogs),
      },
    }));
  }

  get size(): number {
    return this.entries.length;
  }

  match(key: string): ApiKeyIdentity | null {
    const presented = createHash('sha256').update(key).digest();
    let found: ApiKeyIdentity | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.identity;
    }
    return found;
  }
}
