import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Arg,
  DockerfileParser,
  type Env,
  type From,
  type JSONInstruction,
  type ModifiableInstruction,
} from 'dockerfile-ast';
import { REPO_ROOT } from './serve-process.js';

/** The repository's Dockerfile as data: global ARG defaults and its stages in order. */

export interface Instruction {
  keyword: string;
  /** Arguments without flags; for exec-form (JSON) instructions, the JSON strings. */
  args: string[];
  flags: Record<string, string | null>;
  /** NAME=value pairs of ENV / ARG. */
  properties: Record<string, string | null>;
}

export interface Stage {
  name: string | null;
  /** The FROM image with global ARG defaults substituted. */
  base: string;
  instructions: Instruction[];
}

export interface DockerfileModel {
  globalArgs: Record<string, string | null>;
  stages: Stage[];
}

const isFlagged = (instruction: unknown): instruction is ModifiableInstruction =>
  typeof (instruction as ModifiableInstruction).getFlags === 'function';

function jsonStrings(instruction: unknown): string[] | null {
  const json = instruction as JSONInstruction;
  if (typeof json.getJSONStrings !== 'function' || json.getOpeningBracket() === null) return null;
  return json.getJSONStrings().map((value) => value.getJSONValue());
}

function properties(instruction: unknown): Record<string, string | null> {
  const result: Record<string, string | null> = {};
  const env = instruction as Env;
  if (typeof env.getProperties === 'function') {
    for (const property of env.getProperties()) result[property.getName()] = property.getUnescapedValue();
  }
  const arg = instruction as Arg;
  if (typeof arg.getProperty === 'function') {
    const property = arg.getProperty();
    if (property) result[property.getName()] = property.getUnescapedValue();
  }
  return result;
}

export function substitute(text: string, values: Record<string, string | null>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string, bare: string) => {
    return values[braced ?? bare] ?? whole;
  });
}

export function readDockerfile(path = join(REPO_ROOT, 'Dockerfile')): DockerfileModel {
  const dockerfile = DockerfileParser.parse(readFileSync(path, 'utf8'));
  const globalArgs: Record<string, string | null> = {};
  for (const arg of dockerfile.getInitialARGs()) Object.assign(globalArgs, properties(arg));
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const from = instruction as From;
      stages.push({
        name: from.getBuildStage(),
        base: substitute(from.getImage() ?? '', globalArgs),
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) continue;
    const flags: Record<string, string | null> = {};
    if (isFlagged(instruction))
      for (const flag of instruction.getFlags()) flags[flag.getName()] = flag.getValue();
    const args =
      jsonStrings(instruction) ??
      (isFlagged(instruction) ? instruction.getArguments() : instruction.getArguments()).map((argument) =>
        argument.getValue(),
      );
    stage.instructions.push({ keyword, args, flags, properties: properties(instruction) });
  }
  return { globalArgs, stages };
}

/** ENV of a stage including what it inherits from an earlier stage it is built FROM. */
export function stageEnv(model: DockerfileModel, stage: Stage): Record<string, string | null> {
  const parent = model.stages.find((candidate) => candidate.name === stage.base);
  const env = parent ? stageEnv(model, parent) : {};
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'ENV') Object.assign(env, instruction.properties);
  }
  return env;
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}
