import { describe, expect, it } from 'vitest';
import { chunkSamples, DEFAULT_CQT_FRONT_END, DEFAULT_FRONT_END } from '../../../src/audio/index.js';
import { ChunkFeatureExtractor } from '../../../training/eval/chunk-features.js';
import { noise, sine } from '../../audio/signals.js';

describe('ChunkFeatureExtractor', () => {
  it('feeds the model its own front end but keeps the log-mel baseline for a CQT model', () => {
    const length = chunkSamples(DEFAULT_FRONT_END);
    const samples = sine(110, 16_000, length, 0.3);
    const clicks = noise(length, 3, 0.4);
    for (let i = 0; i < length; i++) if (i % 8_000 > 400) clicks[i] = 0; // an onset every 0.5 s
    for (let i = 0; i < length; i++) samples[i] += clicks[i];

    const mel = new ChunkFeatureExtractor(DEFAULT_FRONT_END).extract(samples);
    const cqt = new ChunkFeatureExtractor(DEFAULT_CQT_FRONT_END).extract(samples);
    expect(mel.logMel).toHaveLength(80 * 800);
    expect(cqt.logMel).toHaveLength(84 * 800);
    expect(cqt.baseline).toEqual(mel.baseline);
    expect(cqt.baseline.some((value) => value !== 0)).toBe(true);
  });
});
