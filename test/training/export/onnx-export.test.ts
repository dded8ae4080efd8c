import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FRONT_END, frontEndDifferences } from '../../../src/audio/frontend-config.js';
import { loadManifest, ModelManifestSchema } from '../../../src/inference/manifest.js';
import { INSTRUMENTS } from '../../../src/instruments.js';
import { ENCODER_FILE, ExportError, exportModel, PREDICTOR_FILE } from '../../../training/export/export.js';
import { ENCODER_IO, OPSET, PREDICTOR_IO } from '../../../training/export/graph-io.js';
import { decodeModel } from '../../../training/export/onnx-builder.js';
import { synthMusicLogMels } from '../../../training/export/parity-audio.js';
import { checkParity, randomLogMels } from '../../../training/export/parity-check.js';
import { presetConfig } from '../../../training/model/config.js';
import { initParams, paramSpecs, seededRandom } from '../../../training/model/params.js';

const config = presetConfig('tiny');
const weights = initParams(config, 31);
const outDir = mkdtempSync(join(tmpdir(), 'stemdex-export-test-'));
const training = { status: 'test', data: 'none' };

beforeAll(async () => {
  await tf.setBackend('cpu');
  exportModel(weights, config, outDir, training);
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

function graphOf(file: string) {
  return decodeModel(readFileSync(join(outDir, file)));
}

/** Inputs or outputs of a decoded graph as [name, dims, element type], dynamic dims by name. */
function signature(values: onnxProto.onnx.IValueInfoProto[] | null | undefined) {
  return (values ?? []).map((value) => {
    const tensorType = value.type?.tensorType;
    const dims = (tensorType?.shape?.dim ?? []).map((dim) => dim.dimParam || Number(dim.dimValue));
    return [value.name, dims, tensorType?.elemType];
  });
}

describe('ONNX graphs', () => {
  it('declare opset 17, named inputs/outputs with a dynamic batch axis', () => {
    const encoder = graphOf(ENCODER_FILE);
    const predictor = graphOf(PREDICTOR_FILE);
    for (const model of [encoder, predictor]) {
      expect(model.opsetImport.map((opset) => [opset.domain, Number(opset.version)])).toEqual([['', OPSET]]);
    }
    const float = onnxProto.onnx.TensorProto.DataType.FLOAT;
    const int64 = onnxProto.onnx.TensorProto.DataType.INT64;
    expect(signature(encoder.graph?.input)).toEqual([[ENCODER_IO.input, ['batch', 1, 80, 800], float]]);
    expect(signature(encoder.graph?.output)).toEqual([
      [ENCODER_IO.output, ['batch', 250, config.dim], float],
    ]);
    expect(signature(predictor.graph?.input)).toEqual([
      [PREDICTOR_IO.embeddings, ['batch', 250, config.dim], float],
      [PREDICTOR_IO.instrumentId, ['batch'], int64],
    ]);
    expect(signature(predictor.graph?.output)).toEqual([
      [PREDICTOR_IO.output, ['batch', 250, config.dim], float],
    ]);
  });

  it('carry every weight as an initializer with its shape', () => {
    const initializers = new Map(
      [graphOf(ENCODER_FILE), graphOf(PREDICTOR_FILE)].flatMap((model) =>
        (model.graph?.initializer ?? []).map(
          (tensor) => [tensor.name, (tensor.dims ?? []).map(Number)] as const,
        ),
      ),
    );
    for (const spec of paramSpecs(config)) expect(initializers.get(spec.name)).toEqual(spec.shape);
  });

  it('run in onnxruntime-node at batch 1 and 3', async () => {
    const encoder = await ort.InferenceSession.create(join(outDir, ENCODER_FILE));
    const predictor = await ort.InferenceSession.create(join(outDir, PREDICTOR_FILE));
    for (const batch of [1, 3]) {
      const logMel = new ort.Tensor('float32', randomLogMels(config, batch, batch).logMel, [
        batch,
        1,
        80,
        800,
      ]);
      const embeddings = (await encoder.run({ [ENCODER_IO.input]: logMel }))[ENCODER_IO.output];
      expect(embeddings.dims).toEqual([batch, 250, config.dim]);
      const ids = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: batch }, (_, i) => BigInt(i)),
        [batch],
      );
      const predicted = await predictor.run({
        [PREDICTOR_IO.embeddings]: embeddings,
        [PREDICTOR_IO.instrumentId]: ids,
      });
      expect(predicted[PREDICTOR_IO.output].dims).toEqual([batch, 250, config.dim]);
      expect((predicted[PREDICTOR_IO.output].data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    await encoder.release();
    await predictor.release();
  });

  it('match TF.js within 1e-4 on random and synthetic-music log-mels', async () => {
    const results = await checkParity(config, initParams(config, 32), [
      randomLogMels(config, 2, 9),
      synthMusicLogMels(9),
    ]);
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result.encoderMaxAbs).toBeLessThanOrEqual(1e-4);
      expect(result.predictorMaxAbs).toBeLessThanOrEqual(1e-4);
    }
  });

  it('condition the prediction on the instrument', async () => {
    const predictor = await ort.InferenceSession.create(join(outDir, PREDICTOR_FILE));
    const random = seededRandom(3);
    const values = Float32Array.from({ length: 250 * config.dim }, () => random() * 2 - 1);
    const embeddings = new ort.Tensor('float32', values, [1, 250, config.dim]);
    const run = async (id: number) =>
      (
        await predictor.run({
          [PREDICTOR_IO.embeddings]: embeddings,
          [PREDICTOR_IO.instrumentId]: new ort.Tensor('int64', BigInt64Array.of(BigInt(id)), [1]),
        })
      )[PREDICTOR_IO.output].data as Float32Array;
    expect(await run(0)).not.toEqual(await run(2));
    await predictor.release();
  });
});

describe('manifest', () => {
  it('validates, records hashes, sizes, vocabulary and architecture', () => {
    const manifest = loadManifest(outDir);
    expect(ModelManifestSchema.parse(manifest)).toEqual(manifest);
    expect(manifest.opset).toBe(OPSET);
    expect(manifest.embeddingDim).toBe(config.dim);
    expect(manifest.patch).toEqual({ height: 16, width: 16, gridFreq: 5, gridTime: 50 });
    expect(manifest.instruments).toEqual([...INSTRUMENTS]);
    expect(manifest.graphs.encoder.bytes).toBe(readFileSync(join(outDir, ENCODER_FILE)).byteLength);
    expect(manifest.architecture).toMatchObject({ name: 'tiny', dim: config.dim, depth: config.depth });
    expect(manifest.training).toEqual(training);
    expect(frontEndDifferences(manifest.frontEnd, DEFAULT_FRONT_END)).toEqual([]);
  });

  it('lets the service refuse a model built for another front end', () => {
    const { frontEnd } = loadManifest(outDir);
    if (frontEnd.kind !== 'log-mel') throw new Error(`expected a log-mel front end, got ${frontEnd.kind}`);
    expect(frontEndDifferences({ ...frontEnd, hopLength: 256 }, DEFAULT_FRONT_END)).toEqual(['hopLength']);
    expect(frontEndDifferences({ ...frontEnd, fMax: 7_000, nFft: 1024 }, DEFAULT_FRONT_END)).toEqual([
      'nFft',
      'fMax',
    ]);
  });

  it('is rejected when a graph no longer matches its hash', () => {
    const tampered = mkdtempSync(join(tmpdir(), 'stemdex-export-tampered-'));
    exportModel(weights, config, tampered, training);
    writeFileSync(join(tampered, PREDICTOR_FILE), Buffer.from('not a model'));
    expect(() => loadManifest(tampered)).toThrow(/sha256/);
    rmSync(tampered, { recursive: true, force: true });
  });

  it('refuses to export a model whose input does not fit the front end', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'stemdex-export-refused-'));
    expect(() =>
      exportModel(weights, config, scratch, training, { frontEnd: { ...DEFAULT_FRONT_END, nMels: 64 } }),
    ).toThrow(ExportError);
    rmSync(scratch, { recursive: true, force: true });
  });
});
