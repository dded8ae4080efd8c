import { evaluateProbe, type ProbeResult, TempoBins } from './probes.js';
import type { MixEmbedding } from './types.js';

/**
 * The two probe tasks on frozen full-mix chunk embeddings: key (24 classes) and tempo (classes
 * of ±4 % around their centre; a prediction counts when its class centre is within ±4 % of the
 * true tempo). Each is also run on the chroma/onset baseline features as a non-learned reference.
 */

export interface ProbeReport extends ProbeResult {
  /** Same probe on the non-learned chroma/onset features. */
  baseline_feature_accuracy: number;
}

export interface ProbeTasks {
  key: ProbeReport;
  tempo: ProbeReport & { tolerance: number };
}

const KEY_CLASSES = 24;
const TEMPO_TOLERANCE = 0.04;

export function runProbeTasks(train: readonly MixEmbedding[], test: readonly MixEmbedding[]): ProbeTasks {
  const tempos = train.map((mix) => mix.tempo);
  const bins = new TempoBins(Math.min(...tempos) * 0.9, Math.max(...tempos) * 1.1, TEMPO_TOLERANCE);
  const keyOf = (mix: MixEmbedding) => mix.keyClass;
  const tempoOf = (mix: MixEmbedding) => bins.binOf(mix.tempo);
  const tempoCorrect = (predicted: number, index: number) => bins.matches(predicted, test[index].tempo);

  const run = (
    label: (mix: MixEmbedding) => number,
    classes: number,
    isCorrect?: (predicted: number, index: number) => boolean,
  ): ProbeReport => {
    const sets = (features: (mix: MixEmbedding) => Float32Array) => ({
      train: { features: train.map(features), labels: train.map(label) },
      test: { features: test.map(features), labels: test.map(label) },
    });
    const embedding = sets((mix) => mix.vector);
    const baseline = sets((mix) => mix.baseline);
    const result = evaluateProbe(embedding.train, embedding.test, classes, {}, isCorrect);
    const reference = evaluateProbe(baseline.train, baseline.test, classes, {}, isCorrect);
    return { ...result, baseline_feature_accuracy: reference.accuracy };
  };

  return {
    key: run(keyOf, KEY_CLASSES),
    tempo: { ...run(tempoOf, bins.count, tempoCorrect), tolerance: TEMPO_TOLERANCE },
  };
}
