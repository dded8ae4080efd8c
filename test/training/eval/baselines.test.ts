import { describe, expect, it } from 'vitest';
import { chunkSamples, DEFAULT_FRONT_END } from '../../../src/audio/frontend-config.js';
import { LogMelSpectrogram } from '../../../src/audio/log-mel.js';
import { seededRandom } from '../../../src/random.js';
import { ChromaOnsetFeatures, randomRank } from '../../../training/eval/baselines.js';
import { summarizeRanks } from '../../../training/eval/retrieval.js';

const SAMPLE_RATE = DEFAULT_FRONT_END.sampleRate;
const LENGTH = chunkSamples(DEFAULT_FRONT_END);

function midiHz(note: number): number {
  return 440 * 2 ** ((note - 69) / 12);
}

/**
 * A chord struck every half second (120 beats per minute) with a decaying envelope;
 * `harmonics` > 1 gives a brighter timbre with the same pitches.
 */
function chord(notes: number[], harmonics = 1): Float32Array {
  const out = new Float32Array(LENGTH);
  const period = SAMPLE_RATE / 2;
  for (const note of notes) {
    for (let h = 1; h <= harmonics; h++) {
      const w = (2 * Math.PI * midiHz(note) * h) / SAMPLE_RATE;
      for (let i = 0; i < LENGTH; i++) out[i] += (0.1 / h) * Math.sin(w * i) * Math.exp(-(i % period) / 2000);
    }
  }
  return out;
}

/** Decaying noise bursts every 60/bpm seconds, from a seeded generator. */
function clicks(bpm: number, seed: number, decay = 0.004): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(LENGTH);
  const period = Math.round((60 / bpm) * SAMPLE_RATE);
  for (let start = 0; start < LENGTH; start += period) {
    for (let i = 0; i < 1600 && start + i < LENGTH; i++) {
      out[start + i] = 0.5 * (random() * 2 - 1) * Math.exp(-i / (decay * SAMPLE_RATE));
    }
  }
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

describe('random baseline', () => {
  it('has recall@1 ≈ 1 / gallery size and median normalised rank ≈ 0.5', () => {
    const random = seededRandom(42);
    const gallerySize = 50;
    const ranked = Array.from({ length: 20_000 }, () => ({
      rank: randomRank(gallerySize, random),
      gallerySize,
    }));
    const metrics = summarizeRanks(ranked);
    // Binomial standard deviation is about 0.001 here; five of them as the bound.
    expect(Math.abs(metrics.recall_at_1 - 1 / gallerySize)).toBeLessThan(0.005);
    expect(Math.abs(metrics.recall_at_10 - 10 / gallerySize)).toBeLessThan(0.015);
    expect(Math.abs(metrics.median_normalized_rank - 0.5)).toBeLessThan(0.03);
    expect(ranked.every(({ rank }) => rank >= 1 && rank <= gallerySize)).toBe(true);
  });
});

describe('chroma + onset features', () => {
  const features = new ChromaOnsetFeatures(DEFAULT_FRONT_END);
  const logMel = new LogMelSpectrogram(DEFAULT_FRONT_END);
  const extract = (samples: Float32Array) => features.extract(samples, logMel.compute(samples));

  it('are unit-length vectors of the declared size', () => {
    const vector = extract(chord([60, 64, 67]));
    expect(vector).toHaveLength(features.dim);
    expect(cosine(vector, vector)).toBeCloseTo(1, 5);
  });

  it('find the same chord in another timbre closer than a chord of other pitch classes', () => {
    const cMajor = extract(chord([48, 64, 67, 72]));
    const cMajorBright = extract(chord([60, 67, 76], 4));
    const fSharpMajor = extract(chord([54, 70, 73, 78]));
    expect(cosine(cMajor, cMajorBright)).toBeGreaterThan(cosine(cMajor, fSharpMajor) + 0.1);
  });

  it('find a pulse at the same tempo closer than one at another tempo', () => {
    const at120 = extract(clicks(120, 1));
    const at120Other = extract(clicks(120, 2, 0.008));
    const at93 = extract(clicks(93, 3));
    expect(cosine(at120, at120Other)).toBeGreaterThan(cosine(at120, at93) + 0.1);
  });

  it('leave silence at zero instead of NaN', () => {
    const vector = extract(new Float32Array(LENGTH));
    expect(vector.every((value) => value === 0)).toBe(true);
  });
});

describe('chroma + onset timeline (the baseline in the product protocol)', () => {
  const features = new ChromaOnsetFeatures(DEFAULT_FRONT_END);
  const logMel = new LogMelSpectrogram(DEFAULT_FRONT_END);
  const steps = 50;

  it('gives unit rows that peak at the chord tones and align with themselves best at zero shift', () => {
    const samples = chord([60, 64, 67]);
    const rows = features.timeline(samples, logMel.compute(samples), steps);
    expect(rows.length).toBe(steps * features.dim);
    const row = rows.subarray(10 * features.dim, 11 * features.dim);
    expect(cosine(row, row)).toBeCloseTo(1, 5);
    const chroma = Array.from(row.subarray(0, 12));
    const top = chroma
      .map((value, pitchClass) => ({ value, pitchClass }))
      .sort((a, b) => b.value - a.value)
      .slice(0, 3)
      .map((entry) => entry.pitchClass)
      .sort((a, b) => a - b);
    expect(top).toEqual([0, 4, 7]);
    // Onsets every 0.5 s: the rows repeat every 0.5 s, and a quarter-beat shift matches worse.
    const mean = (shift: number) => {
      let total = 0;
      for (let t = 5; t < 40; t++)
        total += cosine(
          rows.subarray(t * features.dim, (t + 1) * features.dim),
          rows.subarray((t + shift) * features.dim, (t + shift + 1) * features.dim),
        );
      return total / 35;
    };
    expect(mean(0)).toBeGreaterThan(mean(1));
  });

  it('leaves silence as zero rows', () => {
    const silence = new Float32Array(LENGTH);
    const rows = features.timeline(silence, logMel.compute(silence), steps);
    expect(rows.every((value) => value === 0)).toBe(true);
  });
});
