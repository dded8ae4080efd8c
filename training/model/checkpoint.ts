import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { type ModelConfig, ModelConfigSchema } from './config.js';
import { CheckpointError } from './errors.js';
import { elementCount, type NamedArrays } from './params.js';
import type { StemJepa } from './stem-jepa.js';

/**
 * Checkpoint layout: `checkpoint.json` (config, seed, step, tensor index, hash) and one
 * `tensors-*.bin` of little-endian float32 data. Both are written to temporary names and renamed;
 * the rename of `checkpoint.json` is the commit point, so a crash leaves the previous checkpoint
 * intact. Stale tensor files are removed after the commit.
 */
export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 'stemdex-stem-jepa-checkpoint';

/** online: context encoder + predictor; target: EMA encoder; adam.*: the optimizer's moments. */
const GROUPS = ['online', 'target', 'adam.first', 'adam.second'] as const;
type Group = (typeof GROUPS)[number];

const TensorEntrySchema = z.object({
  group: z.enum(GROUPS),
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  /** Offset in float32 elements into the tensors file. */
  offset: z.number().int().nonnegative(),
});

const CheckpointHeaderSchema = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.literal(1),
  savedAt: z.string(),
  config: ModelConfigSchema,
  seed: z.number().int(),
  step: z.number().int().nonnegative(),
  tensorsFile: z.string().min(1),
  tensorsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  tensors: z.array(TensorEntrySchema),
});

export type CheckpointHeader = z.infer<typeof CheckpointHeaderSchema>;

function groupVariables(model: StemJepa, group: Group): ReadonlyMap<string, tf.Variable> {
  if (group === 'online') return model.online;
  if (group === 'target') return model.target;
  const moment = group === 'adam.first' ? 'first' : 'second';
  return new Map([...model.optimizer.moments].map(([name, moments]) => [name, moments[moment]]));
}

export function writeCheckpoint(dir: string, model: StemJepa): void {
  mkdirSync(dir, { recursive: true });
  const tensors: CheckpointHeader['tensors'] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const group of GROUPS) {
    for (const [name, variable] of groupVariables(model, group)) {
      const data = variable.dataSync() as Float32Array;
      tensors.push({ group, name, shape: [...variable.shape], offset });
      chunks.push(data);
      offset += data.length;
    }
  }
  const bytes = new Uint8Array(offset * 4);
  let position = 0;
  for (const chunk of chunks) {
    bytes.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), position);
    position += chunk.byteLength;
  }
  const tensorsFile = `tensors-${model.step}-${Date.now()}-${process.pid}.bin`;
  writeAtomically(join(dir, tensorsFile), bytes);
  const header: CheckpointHeader = {
    format: FORMAT,
    formatVersion: 1,
    savedAt: new Date().toISOString(),
    config: model.config,
    seed: model.seed,
    step: model.step,
    tensorsFile,
    tensorsSha256: createHash('sha256').update(bytes).digest('hex'),
    tensors,
  };
  writeAtomically(join(dir, CHECKPOINT_FILE), `${JSON.stringify(header)}\n`);
  for (const file of readdirSync(dir)) {
    if (file.startsWith('tensors-') && file !== tensorsFile) rmSync(join(dir, file), { force: true });
  }
}

export function readCheckpointHeader(dir: string): CheckpointHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, CHECKPOINT_FILE), 'utf8'));
  } catch (error) {
    throw new CheckpointError(`cannot read ${join(dir, CHECKPOINT_FILE)}: ${(error as Error).message}`);
  }
  const parsed = CheckpointHeaderSchema.safeParse(raw);
  if (!parsed.success)
    throw new CheckpointError(`invalid checkpoint header in ${dir}: ${parsed.error.message}`);
  return parsed.data;
}

/** All tensors of a checkpoint as plain arrays, grouped; verifies the data hash. */
export function readCheckpointTensors(dir: string): {
  header: CheckpointHeader;
  groups: Record<Group, NamedArrays>;
} {
  const header = readCheckpointHeader(dir);
  const bytes = readFileSync(join(dir, header.tensorsFile));
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== header.tensorsSha256) {
    throw new CheckpointError(
      `${header.tensorsFile} has sha256 ${actual}, checkpoint says ${header.tensorsSha256}`,
    );
  }
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const groups = Object.fromEntries(GROUPS.map((group) => [group, new Map()])) as Record<Group, NamedArrays>;
  for (const entry of header.tensors) {
    const length = elementCount(entry.shape);
    if (entry.offset + length > all.length)
      throw new CheckpointError(`tensor ${entry.name} runs past the data file`);
    groups[entry.group].set(entry.name, {
      shape: entry.shape,
      data: all.slice(entry.offset, entry.offset + length),
    });
  }
  return { header, groups };
}

/**
 * The weights an export needs (`encoder.*` from the chosen encoder, `predictor.*`) and the
 * config, straight from a checkpoint without building a trainable model.
 */
export function readCheckpointWeights(
  dir: string,
  encoder: 'context' | 'target' = 'context',
): { config: ModelConfig; step: number; seed: number; weights: NamedArrays } {
  const { header, groups } = readCheckpointTensors(dir);
  const weights: NamedArrays = new Map(groups.online);
  if (encoder === 'target') for (const [name, weight] of groups.target) weights.set(name, weight);
  return { config: header.config, step: header.step, seed: header.seed, weights };
}

export function readCheckpoint(dir: string, model: StemJepa): void {
  const { header, groups } = readCheckpointTensors(dir);
  // The schedule may legitimately change on resume (e.g. a longer run); the architecture may not.
  const architecture = (config: ModelConfig) => JSON.stringify({ ...config, schedule: undefined });
  if (architecture(header.config) !== architecture(model.config)) {
    throw new CheckpointError(`checkpoint in ${dir} was written by a model with a different architecture`);
  }
  for (const group of GROUPS) {
    const variables = groupVariables(model, group);
    const saved = groups[group];
    if (saved.size !== variables.size) {
      throw new CheckpointError(
        `checkpoint group ${group} has ${saved.size} tensors, model has ${variables.size}`,
      );
    }
    for (const [name, variable] of variables) {
      const weight = saved.get(name);
      if (!weight || weight.shape.join() !== variable.shape.join()) {
        throw new CheckpointError(`checkpoint lacks ${group} tensor ${name} of shape [${variable.shape}]`);
      }
      tf.tidy(() => variable.assign(tf.tensor(weight.data, weight.shape, 'float32')));
    }
  }
  model.setStep(header.step);
}

function writeAtomically(path: string, contents: Uint8Array | string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}
