import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrMeasureNormalisation, measureNormalisation } from '../../../training/run/normalisation.js';

const runDir = mkdtempSync(join(tmpdir(), 'stemdex-normalisation-test-'));

afterAll(() => {
  rmSync(runDir, { recursive: true, force: true });
});

describe('run normalisation', () => {
  it('is measured once per run, records its front end, and refuses to resume on another one', () => {
    const measured = loadOrMeasureNormalisation(runDir, 'cqt', () =>
      measureNormalisation([Float32Array.from([-14, -12, -10])], 'cqt'),
    );
    expect(measured).toEqual({ normMean: -12, normStd: Math.sqrt(8 / 3), values: 3, kind: 'cqt' });
    const again = loadOrMeasureNormalisation(runDir, 'cqt', measuredNothing);
    expect(again).toEqual(measured);
    expect(() => loadOrMeasureNormalisation(runDir, 'log-mel', () => measured)).toThrow(/cqt statistics/);
  });

  it('reads files from before the CQT as log-mel statistics', () => {
    const oldRun = mkdtempSync(join(runDir, 'old-'));
    writeFileSync(
      join(oldRun, 'normalisation.json'),
      JSON.stringify({ normMean: -9, normStd: 2, values: 10 }),
    );
    expect(loadOrMeasureNormalisation(oldRun, 'log-mel', measuredNothing).kind).toBe('log-mel');
  });
});

function measuredNothing(): never {
  throw new Error('must not measure');
}
