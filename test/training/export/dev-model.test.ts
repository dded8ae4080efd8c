import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/inference/manifest.js';
import { ensureDevModel } from '../../../training/export/dev-model.js';

const root = mkdtempSync(join(tmpdir(), 'stemdex-dev-model-test-'));

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('ensureDevModel', () => {
  it('exports an untrained model once and reuses it afterwards', async () => {
    const dir = join(root, 'dev-model');
    expect(await ensureDevModel(dir, 'tiny')).toBe(dir);
    const manifest = loadManifest(dir);
    expect(manifest.training.status).toBe('untrained-dev-model');
    expect(manifest.architecture.name).toBe('tiny');
    const written = statSync(join(dir, 'encoder.onnx')).mtimeMs;
    await ensureDevModel(dir, 'tiny');
    expect(statSync(join(dir, 'encoder.onnx')).mtimeMs).toBe(written);
  });

  it('replaces a model of another preset, and concurrent callers agree on one', async () => {
    const dir = join(root, 'switch');
    await ensureDevModel(dir, 'tiny');
    const results = await Promise.all([ensureDevModel(dir, 'small'), ensureDevModel(dir, 'small')]);
    expect(results).toEqual([dir, dir]);
    expect(loadManifest(dir).architecture.name).toBe('small');
  });
});
