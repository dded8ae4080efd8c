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
