import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { readDockerfile } from './dockerfile-model.js';
import { readYamlDocuments } from './manifests.js';
import { REPO_ROOT } from './serve-process.js';

/** docker/compose.yaml, read the way Compose reads it (YAML merge keys resolved). */

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; target: string };
  environment?: Record<string, string>;
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
}

const composeDir = join(REPO_ROOT, 'docker');
const [compose] = readYamlDocuments(join(composeDir, 'compose.yaml')) as Array<{
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}>;
const { services } = compose;
const KNOWN_VARIABLES = new Set(CONFIG_VARIABLES.map((spec) => spec.env));

/** Compose's `${NAME:-default}` with nothing set in the environment. */
const interpolated = (env: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]),
  );

const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1]);

describe('docker/compose.yaml', () => {
  it('runs stemdex against PostgreSQL + pgvector by default', () => {
    expect(services.postgres.image).toBe('pgvector/pgvector:pg16');
    expect(services.postgres.profiles).toBeUndefined();
    expect(services.stemdex.profiles).toBeUndefined();
    expect(services.stemdex.depends_on?.postgres.condition).toBe('service_healthy');
    expect(services.postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    const store = new URL(services.stemdex.environment?.STEMDEX_STORE ?? '');
    const db = services.postgres.environment ?? {};
    expect(store.protocol).toBe('postgres:');
    expect(store.hostname).toBe('postgres');
    expect([store.username, store.password, store.pathname]).toEqual([
      db.POSTGRES_USER,
      db.POSTGRES_PASSWORD,
      `/${db.POSTGRES_DB}`,
    ]);
  });

  it('offers the embedded store as a profile', () => {
    const embedded = services['stemdex-embedded'];
    expect(embedded.profiles).toEqual(['embedded']);
    expect(embedded.environment?.STEMDEX_STORE).toBe('local');
    expect(embedded.depends_on).toBeUndefined();
  });

  it.each(['stemdex', 'stemdex-embedded'])('%s: builds the CPU image and keeps data on a volume', (name) => {
    const service = services[name];
    const context = resolve(composeDir, service.build?.context ?? '');
    expect(context).toBe(REPO_ROOT);
    expect(existsSync(join(context, service.build?.dockerfile ?? ''))).toBe(true);
    expect(readDockerfile().stages.map((stage) => stage.name)).toContain(service.build?.target);
    const env = interpolated(service.environment ?? {});
    for (const key of Object.keys(env)) expect(KNOWN_VARIABLES.has(key), key).toBe(true);
    const config = loadConfig({ ...env, STEMDEX_DATA_DIR: '/var/lib/stemdex' });
    const [volume, mountPath] = (service.volumes?.[0] ?? '').split(':');
    expect(mountPath).toBe(config.dataDir);
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(service.ports?.[0]).toMatch(/:8080$/);
    // Compose's SIGKILL must not come before the service's own grace period is over.
    expect(seconds(service.stop_grace_period ?? '10s') * 1000).toBeGreaterThan(config.shutdownGraceMs);
  });
});
