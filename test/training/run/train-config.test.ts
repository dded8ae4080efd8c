import { describe, expect, it } from 'vitest';
import { readTrainConfig, targetLeakAt } from '../../../training/run/train-config.js';

describe('training/config.json', () => {
  it('parses, and its target-leak curriculum falls linearly to the real task', () => {
    const config = readTrainConfig('training/config.json');
    const { targetLeakStart, targetLeakSteps } = config.curriculum;
    expect(targetLeakAt(config, 0)).toBe(targetLeakStart);
    if (targetLeakSteps > 0) {
      expect(targetLeakAt(config, targetLeakSteps / 2)).toBeCloseTo(targetLeakStart / 2, 6);
    }
    expect(targetLeakAt(config, targetLeakSteps)).toBe(0);
    expect(targetLeakAt(config, config.schedule.totalSteps ?? targetLeakSteps)).toBe(0);
  });
});

describe('quickEval', () => {
  it('defaults to a quick evaluation every 500 steps on 10 songs, exporting the best checkpoint', async () => {
    const { TrainConfigSchema } = await import('../../../training/run/train-config.js');
    const { quickEval: _omitted, ...raw } = readTrainConfig('training/config.json');
    expect(TrainConfigSchema.parse(raw).quickEval).toEqual({ every: 500, songs: 10, exportBest: true });
  });

  it('is due every `every` steps, never at step 0, never when switched off', async () => {
    const { RetrievalTracker } = await import('../../../training/run/retrieval-tracker.js');
    const tracker = (every: number) =>
      new RetrievalTracker({
        runDir: '/nonexistent',
        corpusDir: '/nonexistent',
        every,
        songs: 10,
        log: () => {},
      });
    expect([0, 499, 500, 1000].map((step) => tracker(500).due(step))).toEqual([false, false, true, true]);
    expect(tracker(0).due(500)).toBe(false);
    expect(tracker(500).bestStep).toBeNull();
  });
});
