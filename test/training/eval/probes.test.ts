import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/random.js';
import { evaluateProbe, majorityClass, TempoBins } from '../../../training/eval/probes.js';

/** Gaussian clusters: class c has mean 2·e_c in the first `classes` dimensions, unit noise elsewhere. */
function clusters(count: number, classes: number, dim: number, seed: number, skew = 0) {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const features: Float32Array[] = [];
  const labels: number[] = [];
  for (let n = 0; n < count; n++) {
    // With skew, class 0 is over-represented so the majority baseline is well above chance.
    const label = random() < skew ? 0 : Math.floor(random() * classes);
    const x = Float32Array.from({ length: dim }, () => gaussian() * 0.7);
    x[label] += 2;
    features.push(x);
    labels.push(label);
  }
  return { features, labels };
}

describe('linear probe', () => {
  it('beats the majority class on linearly separable data', () => {
    const train = clusters(400, 6, 12, 1, 0.4);
    const test = clusters(200, 6, 12, 2, 0.4);
    const result = evaluateProbe(train, test, 6, { iterations: 150 });
    expect(result.majority_accuracy).toBeGreaterThan(0.3);
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(result.accuracy).toBeGreaterThan(result.majority_accuracy + 0.3);
    expect(result.train_examples).toBe(400);
    expect(result.test_examples).toBe(200);
  });

  it('does no better than chance-level margins on labels unrelated to the features', () => {
    const train = clusters(300, 4, 8, 3);
    const test = clusters(200, 4, 8, 4);
    const shuffled = (labels: number[], seed: number) => {
      const random = seededRandom(seed);
      return labels.map(() => Math.floor(random() * 4));
    };
    const result = evaluateProbe(
      { features: train.features, labels: shuffled(train.labels, 5) },
      { features: test.features, labels: shuffled(test.labels, 6) },
      4,
      { iterations: 150 },
    );
    expect(result.accuracy).toBeLessThan(0.4);
  });

  it('picks the most frequent label as the majority class', () => {
    expect(majorityClass([2, 1, 2, 0, 2, 1])).toBe(2);
  });
});

describe('TempoBins', () => {
  it('has class centres within ±4 % of every tempo in the class', () => {
    const bins = new TempoBins(60, 180, 0.04);
    for (let bpm = 60; bpm <= 180; bpm += 0.5) {
      expect(bins.matches(bins.binOf(bpm), bpm)).toBe(true);
    }
    expect(bins.matches(bins.binOf(100), 110)).toBe(false);
  });
});
