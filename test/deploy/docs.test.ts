import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withConfigTable } from '../../scripts/config-table.js';
import { REPO_ROOT } from './serve-process.js';

describe('docs/deploy.md', () => {
  it('carries the configuration table the config schema generates', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    // On failure: npx tsx scripts/config-table.ts --write docs/deploy.md
    expect(doc).toBe(withConfigTable(doc));
    expect(doc).toContain('`STEMDEX_SHUTDOWN_GRACE_MS`');
  });

  it('refuses a document without the table markers rather than appending somewhere', () => {
    expect(() => withConfigTable('# no markers here')).toThrow(/config-table:start/);
  });
});
