import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { type BuildAppOptions, buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { EmbeddingModel } from '../../src/server/ports.js';
import { openEmbeddingModel } from '../../src/server/services.js';
import { testModelDir } from './model.js';

/** A temporary data directory, removed by the returned cleanup. */
export function tempDir(prefix = 'stemdex-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Test configuration: real env parsing, CPU only, one audio worker, quiet logs. */
export async function testConfig(dataDir: string, env: Record<string, string> = {}): Promise<Config> {
  return loadConfig({
    STEMDEX_MODEL_DIR: await testModelDir(),
    STEMDEX_DATA_DIR: dataDir,
    STEMDEX_EXECUTION_PROVIDERS: 'cpu',
    STEMDEX_INTRA_OP_THREADS: '1',
    STEMDEX_AUDIO_WORKERS: '1',
    STEMDEX_LOG_LEVEL: 'silent',
    STEMDEX_SNAPSHOT_INTERVAL_MS: '0',
    ...env,
  });
}

export const quietLogger = () => pino({ level: 'silent' });

/** Loads the test model once; share it between apps of one test file (loading costs seconds). */
export async function loadTestModel(config: Config, registry?: Registry): Promise<EmbeddingModel> {
  return openEmbeddingModel(config, { logger: quietLogger(), registry });
}

export async function startApp(
  config: Config,
  options: Omit<BuildAppOptions, 'config'> = {},
): Promise<FastifyInstance> {
  return buildApp({ config, logger: quietLogger(), ...options });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
