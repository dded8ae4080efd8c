import { describe, expect, it } from 'vitest';
import {
  CONFIG_VARIABLES,
  ConfigError,
  configTable,
  loadConfig,
  unknownConfigVariables,
} from '../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      modelDir: 'models',
      dataDir: 'data',
      store: 'local',
      executionProviders: ['cuda', 'cpu'],
      interOpThreads: 1,
      batchMaxSize: 16,
      queueMax: 256,
      chunkHopSeconds: 4,
      apiKeys: [],
      ingestRoot: null,
      logLevel: 'info',
    });
    expect(config.intraOpThreads).toBeGreaterThanOrEqual(1);
    expect(config.audioWorkers).toBeGreaterThanOrEqual(1);
  });

  it('parses numbers, lists and enums from their string form', () => {
    const config = loadConfig({
      STEMDEX_PORT: '9000',
      STEMDEX_EXECUTION_PROVIDERS: ' cpu ',
      STEMDEX_API_KEYS: 'key-aaaaaaaaaaaaaaaa, key-bbbbbbbbbbbbbbbb',
      STEMDEX_CHUNK_HOP_SECONDS: '2.5',
      STEMDEX_LOG_LEVEL: 'DEBUG',
      STEMDEX_INGEST_ROOT: '/srv/audio',
    });
    expect(config.port).toBe(9000);
    expect(config.executionProviders).toEqual(['cpu']);
    expect(config.apiKeys).toEqual(['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb']);
    expect(config.chunkHopSeconds).toBe(2.5);
    expect(config.logLevel).toBe('debug');
    expect(config.ingestRoot).toBe('/srv/audio');
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ STEMDEX_PORT: '  ', STEMDEX_INGEST_ROOT: '' })).toMatchObject({
      port: 8080,
      ingestRoot: null,
    });
  });

  it('names every invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        STEMDEX_PORT: 'abc',
        STEMDEX_EXECUTION_PROVIDERS: 'gpu',
        STEMDEX_QUEUE_MAX: '0',
        STEMDEX_CHUNK_HOP_SECONDS: '1e3',
        STEMDEX_API_KEYS: 'short',
        STEMDEX_BATCH_MAX_SIZE: '1.5',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('INVALID_CONFIG');
    expect(configError.issues.map((issue) => issue.env).sort()).toEqual([
      'STEMDEX_API_KEYS',
      'STEMDEX_BATCH_MAX_SIZE',
      'STEMDEX_CHUNK_HOP_SECONDS',
      'STEMDEX_EXECUTION_PROVIDERS',
      'STEMDEX_PORT',
      'STEMDEX_QUEUE_MAX',
    ]);
    expect(configError.message).toContain('STEMDEX_PORT="abc"');
  });

  it('refuses a provider listed twice', () => {
    expect(() => loadConfig({ STEMDEX_EXECUTION_PROVIDERS: 'cpu,cpu' })).toThrow(ConfigError);
  });

  it('reads proxy trust as off, a hop count, or addresses and CIDRs', () => {
    const trust = (value?: string) =>
      loadConfig(value === undefined ? {} : { STEMDEX_TRUST_PROXY: value }).trustProxy;
    expect(trust()).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('0')).toBe(false);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['true', 'proxy.local', '10.0.0.0/33', '10.0.0.1/8/1', '-1']) {
      expect(() => trust(bad), bad).toThrow(/STEMDEX_TRUST_PROXY/);
    }
  });

  it('reads key settings, closed reads and the rate-limit Redis', () => {
    const config = loadConfig({
      STEMDEX_API_KEY_DIGESTS: `name=a role=read catalogs=x sha256=${'0'.repeat(64)};name=b role=admin sha256=${'1'.repeat(64)}`,
      STEMDEX_REQUIRE_KEY_FOR_READS: 'yes',
      STEMDEX_RATE_LIMIT_REDIS_URL: 'redis://redis:6379/0',
    });
    expect(config.apiKeyDigests.map((spec) => [spec.name, spec.role, spec.catalogs])).toEqual([
      ['a', 'read', ['x']],
      ['b', 'admin', null],
    ]);
    expect(config.requireKeyForReads).toBe(true);
    expect(config.rateLimitRedisUrl).toBe('redis://redis:6379/0');
    expect(loadConfig({}).rateLimitRedisUrl).toBeNull();
    expect(() => loadConfig({ STEMDEX_REQUIRE_KEY_FOR_READS: 'sometimes' })).toThrow(/true or false/);
    expect(() => loadConfig({ STEMDEX_RATE_LIMIT_REDIS_URL: 'localhost:6379' })).toThrow(/redis:\/\//);
    expect(() => loadConfig({ STEMDEX_API_KEY_DIGESTS: 'name=a role=read sha256=123' })).toThrow(
      /STEMDEX_API_KEY_DIGESTS entry 1: sha256/,
    );
  });
});

describe('configuration docs', () => {
  it('lists every variable once in the table', () => {
    const table = configTable();
    const envNames = CONFIG_VARIABLES.map((spec) => spec.env);
    expect(new Set(envNames).size).toBe(envNames.length);
    for (const name of envNames) expect(table).toContain(`\`${name}\``);
    expect(table.split('\n')).toHaveLength(envNames.length + 2);
  });

  it('covers every configuration key', () => {
    const keys = CONFIG_VARIABLES.map((spec) => spec.key).sort();
    expect(keys).toEqual(Object.keys(loadConfig({})).sort());
  });

  it('flags STEMDEX_ variables it does not know', () => {
    expect(
      unknownConfigVariables({ STEMDEX_PROT: '1', STEMDEX_PORT: '1', STEMDEX_API_KEY: 'k', HOME: '/root' }),
    ).toEqual(['STEMDEX_PROT']);
  });
});
