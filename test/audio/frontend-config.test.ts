import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chunkFeatureSize,
  DEFAULT_CQT_FRONT_END,
  DEFAULT_FRONT_END,
  defaultFrontEnd,
  FrontEndConfigSchema,
  featureBins,
  frontEndDifferences,
  longestWindow,
} from '../../src/audio/index.js';
import { loadManifest } from '../../src/inference/manifest.js';

describe('FrontEndConfigSchema', () => {
  it('reads a config without `kind` (the shipped manifest) as the log-mel it always was', () => {
    const raw = JSON.parse(readFileSync('models/manifest.json', 'utf8')).frontEnd;
    expect(raw).not.toHaveProperty('kind');
    const parsed = FrontEndConfigSchema.parse(raw);
    expect(parsed.kind).toBe('log-mel');
    expect(frontEndDifferences(parsed, DEFAULT_FRONT_END)).toEqual([]);
    expect(loadManifest('models').frontEnd.kind).toBe('log-mel');
  });

  it('parses both kinds and rejects an unknown kind or a kind without its fields', () => {
    expect(FrontEndConfigSchema.parse(DEFAULT_CQT_FRONT_END)).toEqual(DEFAULT_CQT_FRONT_END);
    expect(FrontEndConfigSchema.parse(JSON.parse(JSON.stringify(DEFAULT_FRONT_END)))).toEqual(
      DEFAULT_FRONT_END,
    );
    expect(FrontEndConfigSchema.safeParse({ ...DEFAULT_FRONT_END, kind: 'vqt' }).success).toBe(false);
    const { nBins: _, ...withoutBins } = DEFAULT_CQT_FRONT_END;
    expect(FrontEndConfigSchema.safeParse(withoutBins).success).toBe(false);
    // Without `kind` a config is a log-mel one: CQT fields alone do not make it a CQT.
    const { kind: __, ...cqtWithoutKind } = DEFAULT_CQT_FRONT_END;
    expect(FrontEndConfigSchema.safeParse(cqtWithoutKind).success).toBe(false);
  });

  it('names every differing feature field, across kinds too, but never the normalisation', () => {
    expect(
      frontEndDifferences({ ...DEFAULT_CQT_FRONT_END, normMean: 3, normStd: 2 }, DEFAULT_CQT_FRONT_END),
    ).toEqual([]);
    expect(frontEndDifferences({ ...DEFAULT_CQT_FRONT_END, gamma: 5 }, DEFAULT_CQT_FRONT_END)).toEqual([
      'gamma',
    ]);
    const across = frontEndDifferences(DEFAULT_CQT_FRONT_END, DEFAULT_FRONT_END);
    expect(across).toContain('kind');
    expect(across).toEqual(
      expect.arrayContaining(['nBins', 'binsPerOctave', 'gamma', 'nMels', 'nFft', 'winLength']),
    );
    expect(across).not.toContain('hopLength');
    expect(frontEndDifferences(DEFAULT_FRONT_END, DEFAULT_CQT_FRONT_END).sort()).toEqual([...across].sort());
  });

  it('derives the feature height, chunk size and longest window from the config', () => {
    expect([featureBins(DEFAULT_FRONT_END), featureBins(DEFAULT_CQT_FRONT_END)]).toEqual([80, 84]);
    expect(chunkFeatureSize(DEFAULT_CQT_FRONT_END)).toBe(84 * 800);
    expect(longestWindow(DEFAULT_FRONT_END)).toBe(400);
    // C1 at Q = 1 / (2^(1/12) - 1) = 16.82: 16 000 / (32.70 / 16.82) = 8 228 samples (0.51 s).
    expect(longestWindow(DEFAULT_CQT_FRONT_END)).toBe(8228);
    expect(defaultFrontEnd('cqt')).toBe(DEFAULT_CQT_FRONT_END);
    expect(defaultFrontEnd('log-mel')).toBe(DEFAULT_FRONT_END);
  });
});
