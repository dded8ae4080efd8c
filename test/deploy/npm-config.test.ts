import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './serve-process.js';

/**
 * Our own npm configuration makes npm print nothing a new user would read as breakage: no unknown
 * `.npmrc` keys, and every dependency with an install script reviewed in package.json's
 * `allowScripts` (approved where we rely on it, denied where it only prints a message).
 */

function npm(args: string[]): { stdout: string; stderr: string } {
  const result = spawnSync('npm', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  expect(result.status, result.stderr).toBe(0);
  return { stdout: result.stdout, stderr: result.stderr };
}

describe('npm configuration', () => {
  it('prints no warning about our own config', () => {
    expect(npm(['pkg', 'get', 'name']).stderr).not.toMatch(/warn/i);
  });

  it('leaves no dependency install script unreviewed', () => {
    const listed = JSON.parse(npm(['install-scripts', 'ls', '--json']).stdout) as { allowScripts: unknown[] };
    expect(listed.allowScripts).toEqual([]);
  });

  it('lets the native addons and onnxruntime run their install scripts', () => {
    const allow = JSON.parse(
      execFileSync('npm', ['pkg', 'get', 'allowScripts'], { cwd: REPO_ROOT, encoding: 'utf8' }),
    ) as Record<string, boolean>;
    for (const name of ['better-sqlite3', 'hnswlib-node', 'onnxruntime-node', 'esbuild']) {
      expect(allow[name], name).toBe(true);
    }
  });
});
