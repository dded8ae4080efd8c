import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { type ApiKeySpec, parseApiKeyLines } from './auth/api-keys.js';

/**
 * Service configuration, read once from environment variables at start-up.
 *
 * Every variable is declared exactly once in `CONFIG_VARIABLES` below: its schema, its default and
 * its meaning. `loadConfig` validates the environment against those declarations and `configTable`
 * renders the same declarations as the README's reference table, so docs and behaviour can't drift.
 */

/** onnxruntime execution providers the service knows how to ask for, in preference order. */
export const EXECUTION_PROVIDERS = ['cuda', 'tensorrt', 'cpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  host: string;
  port: number;
  /** Folder with `manifest.json`, `encoder.onnx`, `predictor.onnx`. */
  modelDir: string;
  /** Root for the catalog database, index snapshots and staged uploads. */
  dataDir: string;
  /** `local` (SQLite + HNSW under `dataDir`) or a connection URL for another catalog backend. */
  store: string;
  executionProviders: ExecutionProviderName[];
  intraOpThreads: number;
  interOpThreads: number;
  audioWorkers: number;
  batchMaxSize: number;
  queueMax: number;
  chunkHopSeconds: number;
  maxUploadBytes: number;
  maxAudioSeconds: number;
  maxFilesPerRequest: number;
  /**
   * Legacy plain-text keys (STEMDEX_API_KEYS): each acts as an `admin` key on every catalog, as
   * every key did before scoped keys. Prefer `apiKeyDigests` / `apiKeysFile`.
   */
  apiKeys: string[];
  /** Scoped keys as sha256 digest lines (src/auth/api-keys.ts), from the environment. */
  apiKeyDigests: ApiKeySpec[];
  /** A file of digest lines, read at start-up; null: none. */
  apiKeysFile: string | null;
  /** Reads (search, list, fetch, job status) need a key too; otherwise only writes do. */
  requireKeyForReads: boolean;
  /** Fastify `trustProxy`: false, a hop count, or the proxies' addresses / CIDRs. */
  trustProxy: TrustProxy;
  /** Redis shared by the replicas for the rate limit; null: each replica counts in its memory. */
  rateLimitRedisUrl: string | null;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Server-side folder that JSON-manifest ingestion may read from; null disables it. */
  ingestRoot: string | null;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  snapshotIntervalMs: number;
}

export type TrustProxy = false | number | string[];

interface VariableSpec<K extends keyof Config> {
  env: string;
  key: K;
  /** Parses the raw string; receives `undefined` when the variable is unset or blank. */
  schema: z.ZodType<Config[K]>;
  /** The default as a reader should see it in the docs. */
  defaultText: string;
  description: string;
}

type AnyVariableSpec = { [K in keyof Config]: VariableSpec<K> }[keyof Config];

const cores = Math.max(1, availableParallelism());

/** Blank values count as unset, so `STEMDEX_PORT=` in a .env file means "use the default". */
function blankAsUnset(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

function integer(defaultValue: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    blankAsUnset,
    z
      .string()
      .trim()
      .regex(/^[+]?\d+$/, `expected an integer between ${min} and ${max}`)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .default(defaultValue),
  ) as z.ZodType<number>;
}

function decimal(defaultValue: number, min: number, max: number) {
  return z.preprocess(
    blankAsUnset,
    z
      .string()
      .trim()
      .regex(/^[+]?(\d+(\.\d*)?|\.\d+)$/, `expected a number between ${min} and ${max}`)
      .transform(Number)
      .pipe(z.number().min(min).max(max))
      .default(defaultValue),
  ) as z.ZodType<number>;
}

function text(defaultValue: string) {
  return z.preprocess(blankAsUnset, z.string().trim().min(1).default(defaultValue)) as z.ZodType<string>;
}

function optionalText() {
  return z
    .preprocess(blankAsUnset, z.string().trim().min(1).optional())
    .transform((value) => value ?? null) as z.ZodType<string | null>;
}

function commaList(value: unknown): unknown {
  const unset = blankAsUnset(value);
  if (typeof unset !== 'string') return unset;
  return unset
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

const executionProviders = z.preprocess(
  commaList,
  z
    .array(z.enum(EXECUTION_PROVIDERS))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'providers must not repeat')
    .default(['cuda', 'cpu']),
) as z.ZodType<ExecutionProviderName[]>;

const apiKeys = z.preprocess(
  commaList,
  z.array(z.string().min(16, 'each API key must be at least 16 characters')).default([]),
) as z.ZodType<string[]>;

const apiKeyDigests = z.preprocess(
  blankAsUnset,
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return [];
      try {
        return parseApiKeyLines(text, 'STEMDEX_API_KEY_DIGESTS');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
) as z.ZodType<ApiKeySpec[]>;

const boolean = (defaultValue: boolean) =>
  z.preprocess(
    (value) => {
      const unset = blankAsUnset(value);
      return typeof unset === 'string' ? unset.trim().toLowerCase() : unset;
    },
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], 'expected true or false')
      .transform((text) => ['true', '1', 'yes'].includes(text))
      .default(defaultValue),
  ) as z.ZodType<boolean>;

/** proxy-addr's named ranges, which fastify's trustProxy also accepts. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrCidr(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxy = z.preprocess(
  (value) => {
    const unset = blankAsUnset(value);
    if (typeof unset !== 'string') return unset;
    const text = unset.trim();
    if (text.toLowerCase() === 'false') return false;
    return /^\d+$/.test(text) ? Number(text) : commaList(text);
  },
  z
    .union([
      z.literal(false),
      z.number().int().min(0).max(100),
      z
        .array(z.string())
        .min(1)
        .refine(
          (list) => list.every(isAddressOrCidr),
          `expected false, a hop count, or comma-separated addresses / CIDRs (or ${PROXY_RANGE_NAMES.join(', ')})`,
        ),
    ])
    .transform((value) => (value === 0 ? false : value))
    .default(false),
) as z.ZodType<TrustProxy>;

const redisUrl = z
  .preprocess(
    blankAsUnset,
    z
      .string()
      .trim()
      .regex(/^rediss?:\/\/\S+$/, 'expected redis://host:port or rediss://host:port')
      .optional(),
  )
  .transform((value) => value ?? null) as z.ZodType<string | null>;

const logLevel = z.preprocess((value) => {
  const unset = blankAsUnset(value);
  return typeof unset === 'string' ? unset.trim().toLowerCase() : unset;
}, z.enum(LOG_LEVELS).default('info')) as z.ZodType<LogLevel>;

const MIB = 1024 * 1024;

export const CONFIG_VARIABLES: readonly AnyVariableSpec[] = [
  {
    env: 'STEMDEX_HOST',
    key: 'host',
    schema: text('0.0.0.0'),
    defaultText: '0.0.0.0',
    description: 'Interface the HTTP server listens on.',
  },
  {
    env: 'STEMDEX_PORT',
    key: 'port',
    schema: integer(8080, 0, 65_535),
    defaultText: '8080',
    description: 'TCP port of the HTTP server (0 picks a free port).',
  },
  {
    env: 'STEMDEX_MODEL_DIR',
    key: 'modelDir',
    schema: text('models'),
    defaultText: 'models',
    description: 'Folder holding manifest.json, encoder.onnx and predictor.onnx.',
  },
  {
    env: 'STEMDEX_DATA_DIR',
    key: 'dataDir',
    schema: text('data'),
    defaultText: 'data',
    description: 'Folder for the catalog database, index snapshots and staged uploads.',
  },
  {
    env: 'STEMDEX_STORE',
    key: 'store',
    schema: text('local'),
    defaultText: 'local',
    description: '`local` (SQLite + HNSW under the data dir) or a connection URL of another catalog backend.',
  },
  {
    env: 'STEMDEX_EXECUTION_PROVIDERS',
    key: 'executionProviders',
    schema: executionProviders,
    defaultText: 'cuda,cpu',
    description: `onnxruntime execution providers to try, in order (${EXECUTION_PROVIDERS.join(', ')}); the first that loads and runs the model is used.`,
  },
  {
    env: 'STEMDEX_INTRA_OP_THREADS',
    key: 'intraOpThreads',
    schema: integer(cores, 1, 1024),
    defaultText: 'CPU cores',
    description: 'Threads onnxruntime may use inside one operator (CPU provider).',
  },
  {
    env: 'STEMDEX_INTER_OP_THREADS',
    key: 'interOpThreads',
    schema: integer(1, 1, 1024),
    defaultText: '1',
    description: 'Threads onnxruntime may use to run independent operators in parallel.',
  },
  {
    env: 'STEMDEX_AUDIO_WORKERS',
    key: 'audioWorkers',
    schema: integer(Math.max(1, cores - 1), 1, 1024),
    defaultText: 'CPU cores - 1 (at least 1)',
    description: 'Worker threads that decode audio and compute log-mel spectrograms.',
  },
  {
    env: 'STEMDEX_BATCH_MAX_SIZE',
    key: 'batchMaxSize',
    schema: integer(16, 1, 4096),
    defaultText: '16',
    description:
      'Most 8 s chunks one model call processes. A call never waits to fill up: it takes the chunks already waiting, which gather while the previous call runs.',
  },
  {
    env: 'STEMDEX_QUEUE_MAX',
    key: 'queueMax',
    schema: integer(256, 1, 1_000_000),
    defaultText: '256',
    description: 'Chunks that may wait for the model; beyond it requests get 503 with Retry-After.',
  },
  {
    env: 'STEMDEX_CHUNK_HOP_SECONDS',
    key: 'chunkHopSeconds',
    schema: decimal(4, 0.5, 8),
    defaultText: '4',
    description: 'Step between the starts of consecutive 8 s chunks (4 = half-overlapping chunks).',
  },
  {
    env: 'STEMDEX_MAX_UPLOAD_BYTES',
    key: 'maxUploadBytes',
    schema: integer(100 * MIB, 1),
    defaultText: String(100 * MIB),
    description: 'Largest accepted audio file, in bytes (100 MiB).',
  },
  {
    env: 'STEMDEX_MAX_AUDIO_SECONDS',
    key: 'maxAudioSeconds',
    schema: decimal(600, 1, 86_400),
    defaultText: '600',
    description: 'Longest accepted audio, in seconds; longer files are refused.',
  },
  {
    env: 'STEMDEX_MAX_FILES_PER_REQUEST',
    key: 'maxFilesPerRequest',
    schema: integer(100, 1, 100_000),
    defaultText: '100',
    description: 'Most files one batch-ingestion request may carry.',
  },
  {
    env: 'STEMDEX_API_KEYS',
    key: 'apiKeys',
    schema: apiKeys,
    defaultText: '(none)',
    description:
      'Legacy: comma-separated plain-text API keys (16+ characters each), each an `admin` key on every catalog. Prefer `STEMDEX_API_KEYS_FILE` / `STEMDEX_API_KEY_DIGESTS`; `stemdex keys digest` converts a key.',
  },
  {
    env: 'STEMDEX_API_KEYS_FILE',
    key: 'apiKeysFile',
    schema: optionalText(),
    defaultText: '(unset)',
    description:
      'File of scoped API keys, one `name=… role=read|write|admin [catalogs=a,b] sha256=…` line per key (`stemdex keys create` prints one). With no key configured at all, every route is open.',
  },
  {
    env: 'STEMDEX_API_KEY_DIGESTS',
    key: 'apiKeyDigests',
    schema: apiKeyDigests,
    defaultText: '(none)',
    description: 'Scoped API keys as in `STEMDEX_API_KEYS_FILE`, lines separated by newlines or `;`.',
  },
  {
    env: 'STEMDEX_REQUIRE_KEY_FOR_READS',
    key: 'requireKeyForReads',
    schema: boolean(false),
    defaultText: 'false',
    description:
      'When true, reads (search, list, stem details, job status) need a key too; otherwise anonymous clients read every catalog and only writes need a key.',
  },
  {
    env: 'STEMDEX_TRUST_PROXY',
    key: 'trustProxy',
    schema: trustProxy,
    defaultText: 'false',
    description:
      'Behind a load balancer: how many proxy hops to trust (`1`), or the proxies’ addresses / CIDRs (`10.0.0.0/8,127.0.0.1`), so client addresses (logs, rate limits) come from `X-Forwarded-For`. Off: the connecting address.',
  },
  {
    env: 'STEMDEX_RATE_LIMIT_MAX',
    key: 'rateLimitMax',
    schema: integer(300, 1),
    defaultText: '300',
    description: 'Requests one client may make per rate-limit window.',
  },
  {
    env: 'STEMDEX_RATE_LIMIT_WINDOW_MS',
    key: 'rateLimitWindowMs',
    schema: integer(60_000, 1),
    defaultText: '60000',
    description: 'Length of the rate-limit window, in milliseconds.',
  },
  {
    env: 'STEMDEX_RATE_LIMIT_REDIS_URL',
    key: 'rateLimitRedisUrl',
    schema: redisUrl,
    defaultText: '(unset: per-replica memory)',
    description:
      'Redis (`redis://host:6379`) that replicas share for the rate limit. If Redis is unreachable requests are let through (fail open) with a logged warning.',
  },
  {
    env: 'STEMDEX_INGEST_ROOT',
    key: 'ingestRoot',
    schema: optionalText(),
    defaultText: '(unset: manifest ingestion disabled)',
    description:
      'Server-side folder that JSON-manifest batch ingestion may read files from; paths may not escape it.',
  },
  {
    env: 'STEMDEX_LOG_LEVEL',
    key: 'logLevel',
    schema: logLevel,
    defaultText: 'info',
    description: `Log level (${LOG_LEVELS.join(', ')}).`,
  },
  {
    env: 'STEMDEX_SHUTDOWN_GRACE_MS',
    key: 'shutdownGraceMs',
    schema: integer(10_000, 0),
    defaultText: '10000',
    description: 'On SIGTERM, how long in-flight requests may finish before the process exits.',
  },
  {
    env: 'STEMDEX_SNAPSHOT_INTERVAL_MS',
    key: 'snapshotIntervalMs',
    schema: integer(60_000, 0),
    defaultText: '60000',
    description: 'How often the HNSW index is snapshotted to disk when it changed (0: only at shutdown).',
  },
];

export interface ConfigIssue {
  env: string;
  value: string | undefined;
  message: string;
}

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `invalid configuration:\n${issues
        .map((issue) => `  ${issue.env}=${JSON.stringify(issue.value ?? '')}: ${issue.message}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * Builds the configuration from environment variables; unset variables take their defaults.
 * Throws one `ConfigError` naming every invalid variable, so an operator fixes them all at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const values: Partial<Record<keyof Config, unknown>> = {};
  const issues: ConfigIssue[] = [];
  for (const spec of CONFIG_VARIABLES) {
    const raw = env[spec.env];
    const result = (spec.schema as z.ZodType<unknown>).safeParse(raw);
    if (result.success) {
      values[spec.key] = result.data;
    } else {
      issues.push({
        env: spec.env,
        value: raw,
        message: result.error.issues.map((i) => i.message).join('; '),
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return values as Config;
}

/**
 * `STEMDEX_*` variables read by the CLI client, training, benchmarks and tests rather than by the
 * service: setting one in the service's environment is harmless, not a typo.
 */
const TOOL_VARIABLES = [
  'STEMDEX_API_KEY',
  'STEMDEX_CACHE_DIR',
  'STEMDEX_NATIVE_POOL_MB',
  'STEMDEX_RELIABILITY_SCALE',
  'STEMDEX_TEST_POSTGRES_URL',
  'STEMDEX_TRAIN_THREADS',
];

/** `STEMDEX_*` variables that are set but mean nothing here: almost always a typo worth a warning. */
export function unknownConfigVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = new Set([...CONFIG_VARIABLES.map((spec) => spec.env), ...TOOL_VARIABLES]);
  return Object.keys(env)
    .filter((name) => name.startsWith('STEMDEX_') && !known.has(name))
    .sort();
}

/** The configuration reference as a Markdown table, for the README. */
export function configTable(): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  const rows = CONFIG_VARIABLES.map(
    (spec) => `| \`${spec.env}\` | ${escapeCell(spec.defaultText)} | ${escapeCell(spec.description)} |`,
  );
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
