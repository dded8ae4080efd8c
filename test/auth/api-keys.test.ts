import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createApiKey,
  formatApiKeyLine,
  Keyring,
  parseApiKeyLine,
  parseApiKeyLines,
  roleAllows,
  sha256Hex,
} from '../../src/auth/api-keys.js';
import { keyringFromConfig } from '../../src/auth/keyring-config.js';
import { loadConfig } from '../../src/config.js';

const DIGEST = 'ab'.repeat(32);

describe('API key lines', () => {
  it('parse name, role, optional catalogs and digest, and print back the same line', () => {
    const line = `name=partner-a role=write catalogs=a,b.c sha256=${DIGEST}`;
    const spec = parseApiKeyLine(line);
    expect(spec).toEqual({ name: 'partner-a', role: 'write', catalogs: ['a', 'b.c'], sha256: DIGEST });
    expect(formatApiKeyLine(spec)).toBe(line);
    expect(parseApiKeyLine(`sha256=${DIGEST.toUpperCase()} role=read name=r`).catalogs).toBeNull();
  });

  it.each([
    [`role=read sha256=${DIGEST}`, /name/],
    [`name=x role=owner sha256=${DIGEST}`, /role must be one of read, write, admin/],
    [`name=x role=read sha256=abc`, /64 hex/],
    [`name=x role=read catalogs=a,../b sha256=${DIGEST}`, /invalid catalog name/],
    [`name=x role=admin catalogs=a sha256=${DIGEST}`, /admin key acts on every catalog/],
    [`name=x role=read key=secret sha256=${DIGEST}`, /unknown field "key"/],
    [`name=x name=y role=read sha256=${DIGEST}`, /name given twice/],
    [`partner role=read sha256=${DIGEST}`, /expected name=value/],
  ])('refuse %s', (line, message) => {
    expect(() => parseApiKeyLine(line)).toThrow(message);
  });

  it('read many from a file or a variable, skipping comments and blank lines, naming a bad entry', () => {
    const text = `# keys\nname=a role=read sha256=${DIGEST}\n\n  ; name=b role=admin sha256=${'cd'.repeat(32)} # ops\n`;
    expect(parseApiKeyLines(text, 'keys.txt').map((spec) => spec.name)).toEqual(['a', 'b']);
    expect(() => parseApiKeyLines(`name=a role=read sha256=${DIGEST}\nname=b role=x`, 'keys.txt')).toThrow(
      /keys\.txt entry 2: role/,
    );
  });
});

describe('Keyring', () => {
  it('matches a key by its digest only, and rejects unknown keys', () => {
    const created = createApiKey({ name: 'p', role: 'write', catalogs: ['a'] });
    expect(created.line).not.toContain(created.key);
    expect(created.line).toContain(sha256Hex(created.key));
    const keyring = new Keyring([parseApiKeyLine(created.line)]);
    expect(keyring.match(created.key)).toEqual({ name: 'p', role: 'write', catalogs: new Set(['a']) });
    expect(keyring.match(`${created.key}x`)).toBeNull();
    expect(keyring.match('')).toBeNull();
  });

  it('creates distinct random keys, and digests an existing key for migration', () => {
    const one = createApiKey({ name: 'a', role: 'read', catalogs: null });
    const two = createApiKey({ name: 'a', role: 'read', catalogs: null });
    expect(one.key).not.toBe(two.key);
    expect(one.key.length).toBeGreaterThanOrEqual(40);
    const legacy = createApiKey({ name: 'legacy', role: 'admin', catalogs: null }, 'an-old-plain-text-key');
    expect(legacy.line).toBe(`name=legacy role=admin sha256=${sha256Hex('an-old-plain-text-key')}`);
    expect(() => createApiKey({ name: 'x', role: 'read', catalogs: null }, 'short')).toThrow(/16 characters/);
  });

  it('refuses duplicate names and duplicate keys', () => {
    const a = parseApiKeyLine(`name=a role=read sha256=${DIGEST}`);
    expect(() => new Keyring([a, { ...a, sha256: 'cd'.repeat(32) }])).toThrow(/two keys are named a/);
    expect(() => new Keyring([a, { ...a, name: 'b' }])).toThrow(/digest of another key/);
  });

  it('orders roles read < write < admin', () => {
    expect(roleAllows('admin', 'write')).toBe(true);
    expect(roleAllows('write', 'read')).toBe(true);
    expect(roleAllows('write', 'admin')).toBe(false);
    expect(roleAllows('read', 'write')).toBe(false);
  });
});

describe('keyring from the configuration', () => {
  it('combines the key file, the digest variable and legacy plain-text keys (as admin keys)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stemdex-keyring-'));
    try {
      const file = join(dir, 'keys');
      const fromFile = createApiKey({ name: 'file-key', role: 'read', catalogs: ['a'] });
      const fromEnv = createApiKey({ name: 'env-key', role: 'write', catalogs: null });
      writeFileSync(file, `${fromFile.line}\n`);
      const keyring = keyringFromConfig(
        loadConfig({
          STEMDEX_API_KEYS_FILE: file,
          STEMDEX_API_KEY_DIGESTS: fromEnv.line,
          STEMDEX_API_KEYS: 'legacy-plain-text-key-0123',
        }),
      );
      expect(keyring.size).toBe(3);
      expect(keyring.match(fromFile.key)?.name).toBe('file-key');
      expect(keyring.match(fromEnv.key)?.role).toBe('write');
      expect(keyring.match('legacy-plain-text-key-0123')).toEqual({
        name: 'legacy-1',
        role: 'admin',
        catalogs: null,
      });

      writeFileSync(file, 'name=broken role=read\n');
      expect(() => keyringFromConfig(loadConfig({ STEMDEX_API_KEYS_FILE: file }))).toThrow(
        /STEMDEX_API_KEYS_FILE.*entry 1: sha256/s,
      );
      expect(() => keyringFromConfig(loadConfig({ STEMDEX_API_KEYS_FILE: join(dir, 'missing') }))).toThrow(
        /ENOENT/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
