import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS, ModelConfigSchema, patchGrid, presetConfig } from '../../../training/model/config.js';
import { MissingWeightError, WeightShapeError } from '../../../training/model/errors.js';
import {
  checkWeights,
  countParams,
  encoderParamSpecs,
  initParams,
  paramSpecs,
} from '../../../training/model/params.js';
import { sinCosPositionalEmbedding } from '../../../training/model/positional.js';

describe('model config', () => {
  it('lays 80x800 log-mels out as a 5x50 grid of 16x16 patches', () => {
    expect(patchGrid(presetConfig('small'))).toEqual({
      gridFreq: 5,
      gridTime: 50,
      numPatches: 250,
      patchSize: 256,
    });
  });

  it('rejects sizes the architecture cannot express', () => {
    const small = MODEL_PRESETS.small;
    expect(ModelConfigSchema.safeParse({ ...small, heads: 3 }).success).toBe(false);
    expect(ModelConfigSchema.safeParse({ ...small, patchHeight: 15 }).success).toBe(false);
    expect(ModelConfigSchema.safeParse({ ...small, dim: 130, heads: 2 }).success).toBe(false);
    expect(ModelConfigSchema.safeParse(small).success).toBe(true);
  });

  it('applies schedule overrides without losing the other schedule fields', () => {
    const config = presetConfig('tiny', { schedule: { totalSteps: 123 } });
    expect(config.schedule.totalSteps).toBe(123);
    expect(config.schedule.emaMomentumStart).toBe(MODEL_PRESETS.tiny.schedule.emaMomentumStart);
  });
});

describe('params', () => {
  const config = presetConfig('tiny');

  it('initialises identically for the same seed and differently for another', () => {
    const a = initParams(config, 1);
    const b = initParams(config, 1);
    const c = initParams(config, 2);
    const name = 'encoder.blocks.0.attn.qkv.weight';
    expect(a.get(name)!.data).toEqual(b.get(name)!.data);
    expect(a.get(name)!.data).not.toEqual(c.get(name)!.data);
  });

  it('draws linear weights with the configured spread, zero biases and unit norm gains', () => {
    const weights = initParams(config, 3);
    const fc1 = weights.get('encoder.blocks.0.mlp.fc1.weight')!.data;
    const std = Math.sqrt(fc1.reduce((sum, value) => sum + value * value, 0) / fc1.length);
    expect(std).toBeGreaterThan(config.initStd * 0.7);
    expect(std).toBeLessThan(config.initStd * 1.1);
    expect(Math.max(...fc1.map(Math.abs))).toBeLessThanOrEqual(2 * config.initStd + 1e-9);
    expect(weights.get('encoder.blocks.0.mlp.fc1.bias')!.data.every((value) => value === 0)).toBe(true);
    expect(weights.get('encoder.norm.gamma')!.data.every((value) => value === 1)).toBe(true);
  });

  it('counts parameters from the specs and has a 6-layer predictor', () => {
    const specs = paramSpecs(config);
    expect(countParams(specs)).toBe(specs.reduce((sum, s) => sum + s.shape.reduce((p, d) => p * d, 1), 0));
    expect(specs.filter((s) => /^predictor\.layers\.\d+\.weight$/.test(s.name))).toHaveLength(6);
    expect(specs.find((s) => s.name === 'predictor.layers.5.weight')!.shape).toEqual([
      config.predictorHidden,
      config.dim,
    ]);
  });

  it('checkWeights names the missing or misshapen weight', () => {
    const weights = initParams(config, 1);
    weights.delete('encoder.norm.beta');
    expect(() => checkWeights(encoderParamSpecs(config), weights)).toThrow(MissingWeightError);
    const reshaped = initParams(config, 1);
    reshaped.set('encoder.norm.beta', { shape: [config.dim + 1], data: new Float32Array(config.dim + 1) });
    expect(() => checkWeights(encoderParamSpecs(config), reshaped)).toThrow(WeightShapeError);
  });

  it('gives every patch a distinct positional embedding', () => {
    const { numPatches } = patchGrid(config);
    const table = sinCosPositionalEmbedding(config);
    const rows = new Set(
      Array.from({ length: numPatches }, (_, i) => table.slice(i * config.dim, (i + 1) * config.dim).join()),
    );
    expect(rows.size).toBe(numPatches);
  });
});
